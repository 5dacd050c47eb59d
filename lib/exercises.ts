/**
 * Exercises that check themselves, for teaching notebooks: a learner changes an option or writes a few lines, then
 * a helper cell calls `checkExercise` with the measured outcome. It prints what is right or what is wrong (with a
 * hint), records the verdict for the notebook tests (`exercise:<id>`), and never throws: a wrong answer is part of
 * learning, not a failed notebook. The worked solutions in notebooks/solutions/ run the same checks, and the tests
 * assert that every check passes there.
 *
 *   checkExercise("02-mf-wins", [
 *     [mfNdcg >= neumfNdcg, `MF's NDCG@10 ${mfNdcg.toFixed(4)} is still below NeuMF's ${neumfNdcg.toFixed(4)}`],
 *     [changed === 1, "change exactly one option"],
 *   ], { hint: "which world has no non-linear part?" });
 */
import { record } from "./notebook";

/** One requirement: whether it holds, and what to say when it does not. */
export type Requirement = readonly [holds: boolean, whenWrong: string];

export interface ExerciseResult {
  id: string;
  passed: boolean;
  /** The messages of the requirements that do not hold. */
  problems: string[];
}

/**
 * Check an exercise's requirements; print the verdict and record it (see the module comment). Returns nothing, so
 * that a notebook cell ending with the check shows only the verdict (`exerciseResult` computes without printing).
 */
export function checkExercise(id: string, requirements: readonly Requirement[], options: { hint?: string; success?: string } = {}): void {
  const { passed, problems } = exerciseResult(id, requirements);
  if (passed) console.log(`✓ ${id}: correct.${options.success ? ` ${options.success}` : ""}`);
  else console.log([`✗ ${id}: not yet.`, ...problems.map((p) => `  - ${p}`), ...(options.hint ? [`  hint: ${options.hint}`] : [])].join("\n"));
  record(`exercise:${id}`, { passed, problems });
}

/** The verdict of an exercise's requirements, without printing or recording it. */
export function exerciseResult(id: string, requirements: readonly Requirement[]): ExerciseResult {
  if (!requirements.length) throw new Error(`checkExercise('${id}'): no requirements to check`);
  const problems = requirements.filter(([holds]) => !holds).map(([, message]) => message);
  return { id, passed: problems.length === 0, problems };
}
