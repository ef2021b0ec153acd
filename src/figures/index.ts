/** The `figures` area. Named exports only. @module */
export {};
