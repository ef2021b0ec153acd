/** The `organism` area. Named exports only. @module */
export {};
