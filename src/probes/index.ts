/** The `probes` area. Named exports only. @module */
export {};
