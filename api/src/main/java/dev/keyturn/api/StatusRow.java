package dev.keyturn.api;

/**
 * One row of the status board: who owns the secret, how it rotates, when it last did and is next
 * due, until when the previous value is accepted, and its state: {@code ok}, {@code due}, {@code
 * overdue}, {@code rotating} or {@code failed}.
 */
public record StatusRow(
    String name,
    String owner,
    String strategy,
    String lastRotated,
    String nextDue,
    String graceUntil,
    String state,
    String rotationId) {}
