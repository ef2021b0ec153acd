/** The `io` area. Named exports only. @module */
export {};
