# The addon: plain C11 against node_api.h. Each instruction set's micro-kernel is its own static
# library so that only that file gets its -m flags; cpu.c picks one at load.
#
# The fused recurrence compiles the wasm backend's C sources (recurrent.c and its cells, in
# @seqlab/tensor's src/backend/wasm/: scripts/build-addon.mjs passes where this package resolves
# @seqlab/tensor as seqlab_wasm_dir; the default is the workspace's) through the portable <wasm_simd128.h> of src/c/wasm-simd/, once per instruction set:
# recurrent-portable.c here, recurrent-avx2.c and recurrent-avx512.c in static libraries of their own.
#
# The other float32 kernels (ops.h) are one source, ops-kernels.c, built three times: ops-portable.c,
# ops-avx2.c and ops-avx512.c, each a static library with its own -m flags, all without
# floating-point contraction (see NOTE(native-ops-accuracy) in ops-kernels.c).
{
  "variables": {"seqlab_wasm_dir%": "../tensor/src/backend/wasm"},
  "target_defaults": {
    "cflags_c": ["-std=gnu11", "-O3", "-fPIC", "-Wall", "-Wextra"],
    "include_dirs": ["src/c/wasm-simd", "<(seqlab_wasm_dir)", "src/c"],
    "cflags!": ["-fno-exceptions"],
    "xcode_settings": {"OTHER_CFLAGS": ["-std=gnu11", "-O3"]}
  },
  "targets": [
    {
      "target_name": "seqlab_native",
      "sources": [
        "src/c/addon.c",
        "src/c/napi-util.c",
        "src/c/cpu.c",
        "src/c/pool.c",
        "src/c/pool-binding.c",
        "src/c/gemm.c",
        "src/c/gemm-binding.c",
        "src/c/gemm-scalar.c",
        "src/c/recurrent-gemm.c",
        "src/c/recurrent-portable.c",
        "src/c/recurrent-binding.c",
        "src/c/ops.c",
        "src/c/ops-binding.c"
      ],
      "dependencies": ["ops_portable"],
      "libraries": ["-lpthread"],
      "conditions": [
        ["target_arch=='x64'", {"dependencies": ["gemm_avx2", "gemm_avx512", "recurrent_avx2", "recurrent_avx512", "ops_avx2", "ops_avx512"]}]
      ]
    },
    {
      "target_name": "gemm_avx2",
      "type": "static_library",
      "sources": ["src/c/gemm-avx2.c"],
      "cflags_c": ["-mavx2", "-mfma"],
      "xcode_settings": {"OTHER_CFLAGS": ["-mavx2", "-mfma"]}
    },
    {
      "target_name": "recurrent_avx2",
      "type": "static_library",
      "sources": ["src/c/recurrent-avx2.c"],
      "conditions": [
        ["target_arch=='x64'", {
          "cflags_c": ["-mavx2", "-mfma"],
          "xcode_settings": {"OTHER_CFLAGS": ["-mavx2", "-mfma"]}
        }]
      ]
    },
    {
      "target_name": "recurrent_avx512",
      "type": "static_library",
      "sources": ["src/c/recurrent-avx512.c"],
      "conditions": [
        ["target_arch=='x64'", {
          "cflags_c": ["-mavx512f", "-mavx512vl", "-mfma"],
          "xcode_settings": {"OTHER_CFLAGS": ["-mavx512f", "-mavx512vl", "-mfma"]}
        }]
      ]
    },
    {
      "target_name": "ops_portable",
      "type": "static_library",
      "sources": ["src/c/ops-portable.c"],
      "cflags_c": ["-ffp-contract=off", "-fno-math-errno"],
      "xcode_settings": {"OTHER_CFLAGS": ["-ffp-contract=off", "-fno-math-errno"]}
    },
    {
      "target_name": "ops_avx2",
      "type": "static_library",
      "sources": ["src/c/ops-avx2.c"],
      "cflags_c": ["-mavx2", "-mfma", "-ffp-contract=off", "-fno-math-errno"],
      "xcode_settings": {"OTHER_CFLAGS": ["-mavx2", "-mfma", "-ffp-contract=off", "-fno-math-errno"]}
    },
    {
      "target_name": "ops_avx512",
      "type": "static_library",
      "sources": ["src/c/ops-avx512.c"],
      "cflags_c": ["-mavx512f", "-mavx512vl", "-mavx512dq", "-mavx512bw", "-mfma", "-mprefer-vector-width=512", "-ffp-contract=off", "-fno-math-errno"],
      "xcode_settings": {"OTHER_CFLAGS": ["-mavx512f", "-mavx512vl", "-mavx512dq", "-mavx512bw", "-mfma", "-mprefer-vector-width=512", "-ffp-contract=off", "-fno-math-errno"]}
    },
    {
      "target_name": "gemm_avx512",
      "type": "static_library",
      "sources": ["src/c/gemm-avx512.c"],
      "cflags_c": ["-mavx512f", "-mavx512vl", "-mfma"],
      "xcode_settings": {"OTHER_CFLAGS": ["-mavx512f", "-mavx512vl", "-mfma"]}
    }
  ]
}
