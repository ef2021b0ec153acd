/** The `paper` area. Named exports only. @module */
export {};
