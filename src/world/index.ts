/** The `world` area. Named exports only. @module */
export {};
