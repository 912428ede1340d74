package dev.keyturn.api;

/**
 * A folder one level below a tree listing's prefix ({@code GET /v1/status?tree=true}): its name
 * (one segment, without the {@code /}) and how many secrets below it the caller may list.
 */
public record StatusFolder(String name, int secrets) {}
