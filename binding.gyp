{
  "targets": [
    {
      "target_name": "stochastic_smoothing_cpu",
      "sources": ["native/addon.cc", "native/engine/job.cc", "native/cpu/engine.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/core", "native/engine", "native/cpu"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_ENABLE_TYPE_CHECK_ON_AS"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-O3", "-ffp-contract=off", "-fexceptions"],
      "ldflags": ["-pthread"]
    }
  ]
}
