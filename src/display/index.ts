/** The `display` area. Named exports only. @module */
export {};
