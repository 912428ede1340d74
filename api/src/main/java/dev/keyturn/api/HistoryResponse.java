package dev.keyturn.api;

import java.util.List;

/** Every version of a secret, newest first, metadata only. */
public record HistoryResponse(String name, List<VersionInfo> versions) {}
