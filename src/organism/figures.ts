import type { FigureSpec } from "../figures/types";

/** Figures of the model-organism track (builders over run results). */
export const organismFigures: FigureSpec[] = [];
