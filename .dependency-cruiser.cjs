// The layering of src/ (CONTRIBUTING.md, "The layers"), checked by `npm test` (scripts/test.mjs)
// and by `npm run layers`. Data flows world/io -> organism (the model) -> experiments (one file
// per claim) -> figures/chapters/CLI. Type-only imports count too: a type is a dependency.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import circles: a circle works only thanks to import order.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "foundations-stay-below",
      severity: "error",
      comment: "probes, stats, io and world import nothing from organism or experiments.",
      from: { path: "^src/(probes|stats|io|world)/" },
      to: { path: "^src/(organism|experiments)/" },
    },
    {
      name: "organism-is-the-model-only",
      severity: "error",
      comment: "The organism imports nothing from experiments, figures, exercises, display or the CLI.",
      from: { path: "^src/organism/" },
      to: { path: "^src/(experiments|figures|exercises|display|cli)/" },
    },
    {
      name: "experiments-below-figures",
      severity: "error",
      comment: "Experiments produce results; figures, exercises and the CLI read them, never the reverse.",
      from: { path: "^src/experiments/" },
      to: { path: "^src/(figures|exercises|cli)/" },
    },
    {
      name: "registries-import-builders-not-the-reverse",
      severity: "error",
      comment: "Data areas (paper, world, organism, experiments, nn, runs) never import figures or exercises.",
      from: { path: "^src/(paper|world|organism|experiments|nn|runs|probes|stats|io|retrieval|backend)/" },
      to: { path: "^src/(figures|exercises)/" },
    },
    {
      name: "only-bin-imports-the-cli",
      severity: "error",
      comment: "Nothing but bin/ (and the CLI itself) imports the CLI.",
      from: { path: "^src/", pathNot: "^src/cli/" },
      to: { path: "^src/cli/" },
    },
    {
      name: "backend-is-infrastructure",
      severity: "error",
      comment: "The backend area registers kernels; it imports no area above it.",
      from: { path: "^src/backend/" },
      to: { path: "^src/(nn|organism|experiments|figures|exercises|cli|bench|probes|world|paper)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|node_modules)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.build.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
