package dev.keyturn.api;

/** A rule as stored, with when its secret is next due ({@code null} without a schedule). */
public record RuleResponse(String name, RuleBody rule, String nextDue) {}
