import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { EXERCISES, list } from "../src/exercises";

// Issue 10's "exercises are inconsistent": a checker whose id is not registered ("unknown exercise
// id"), a chapter saying "see the exercise text" without the text, a chapter without checkers.
// These invariants hold for every chapter without running a kernel.
const NB_DIR = path.join(__dirname, "..", "notebooks");
const chapters = fs.readdirSync(NB_DIR).filter((f) => /^\d\d_.*\.ipynb$/.test(f)).sort();

interface Cell {
  cell_type: string;
  source: string[] | string;
}
const text = (c: Cell) => [c.source].flat().join("");

for (const f of chapters) {
  test(`chapter ${f}: every exercise checker is registered, follows its own text, and every registered exercise is asked`, () => {
    const chapter = Number(f.slice(0, 2));
    const cells = (JSON.parse(fs.readFileSync(path.join(NB_DIR, f), "utf8")) as { cells: Cell[] }).cells;
    const asked: string[] = [];
    cells.forEach((c, i) => {
      if (c.cell_type !== "code") return;
      for (const m of text(c).matchAll(/exercises\.check\(\s*"([^"]+)"/g)) {
        const id = m[1];
        asked.push(id);
        assert.ok(EXERCISES.some((e) => e.id === id), `${f} cell ${i}: check("${id}") is not a registered exercise`);
        assert.equal(id.split(".")[0], String(chapter), `${f} cell ${i}: exercise ${id} belongs to another chapter`);
        // The question is in the notebook, in a markdown cell before the checker, in bold.
        const before = cells.slice(0, i).filter((x) => x.cell_type === "markdown").map(text).join("\n");
        assert.ok(before.includes(`**${id}**`), `${f} cell ${i}: the text of exercise ${id} ("**${id}**") is not in a markdown cell before its checker`);
      }
    });
    assert.deepEqual(
      [...new Set(asked)].sort(),
      list(chapter).map((e) => e.id).sort(),
      `${f}: the chapter's checkers and its registered exercises differ`,
    );
    assert.ok(asked.length > 0, `${f} has no exercise checker`);
    assert.doesNotMatch(cells.map(text).join("\n"), /see the exercise text/i, `${f} points to an exercise text it does not contain`);
  });
}
