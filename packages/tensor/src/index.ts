// Errors
export {
  BackendError,
  ConfigError,
  DTypeError,
  FormatError,
  SeqlabError,
  ShapeError,
  formatShape,
} from './errors';
