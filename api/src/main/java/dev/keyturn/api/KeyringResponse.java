package dev.keyturn.api;

import java.util.List;

/** The values a verifier or decrypter should accept now, newest first. */
public record KeyringResponse(String name, List<KeyringEntry> versions) {}
