/** The `train` area. Named exports only. @module */
export {};
