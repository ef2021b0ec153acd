/** The `stats` area. Named exports only. @module */
export {};
