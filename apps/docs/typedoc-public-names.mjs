// Names each module of the API reference by its import specifier (`@seqlab/tensor/testing`)
// instead of its path under packages/ (`tensor/src/testing`).
import { Converter, ReflectionKind } from 'typedoc';
import { publicEntries } from './typedoc.config.mjs';

/** @param {import('typedoc').Application} app */
export function load(app) {
  const names = new Map(publicEntries.map((entry) => [entry.file, entry.name]));
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module)) return;
    const file = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile().fileName;
    const name = file && names.get(file);
    if (name) reflection.name = name;
  });
}
