package dev.keyturn.api;

import java.util.List;

/** What {@code POST /v1/setup/{name}} did to the rule's target, one line per action (no values). */
public record SetupResponse(String name, String target, List<String> actions) {}
