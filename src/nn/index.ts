/** The `nn` area. Named exports only. @module */
export {};
