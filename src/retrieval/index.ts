/** The `retrieval` area. Named exports only. @module */
export {};
