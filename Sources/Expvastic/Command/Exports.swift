// `import Expvastic` gives a user of the library (the command, the benchmarks, the tests) every
// layer below the command, as one module did before the layers became targets.
@_exported import ExpvasticBase
@_exported import ExpvasticCodecs
@_exported import ExpvasticConfig
@_exported import ExpvasticEngine
@_exported import ExpvasticPipeline
