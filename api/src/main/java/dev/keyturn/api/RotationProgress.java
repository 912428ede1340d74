package dev.keyturn.api;

/**
 * How far a {@code reencrypt} rotation's row sweep has come: the rows in the table when the sweep
 * began, the rows under the new key so far, rows no key opens that the rule skips, and rows no key
 * opens otherwise (they fail the rotation's test). Counts only; never a row's content.
 */
public record RotationProgress(long rowsTotal, long rowsDone, long rowsSkipped, long rowsFailed) {}
