/** The `exercises` area. Named exports only. @module */
export {};
