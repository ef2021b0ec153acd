import type { FigureSpec } from "../figures/types";

/** Figures of the paper track (builders over `data/paper/`). */
export const paperFigures: FigureSpec[] = [];
