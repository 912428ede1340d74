package dev.keyturn.cli;

import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where {@code hmac} and {@code fernet} read their input: {@code --stdin} or {@code --file F}, as
 * the exact bytes (unlike {@code put}, no newline is dropped). One of the two is required.
 */
final class BodyInput {
  @Option(names = "--stdin", description = "Read the input from standard input.")
  boolean stdin;

  @Option(names = "--file", paramLabel = "FILE", description = "Read the input from FILE.")
  Path file;

  /** The file to read, or null for standard input. */
  Path file() {
    return stdin ? null : file;
  }

  /** Standard input when {@code file} is null, else the file (relative to the working folder). */
  static InputStream open(Io io, Path file) {
    if (file == null) {
      return io.in();
    }
    Path path = io.workingDir().resolve(file);
    try {
      return Files.newInputStream(path);
    } catch (NoSuchFileException e) {
      throw new KeyturnException.InvalidInput("cannot read " + file + ": no such file");
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput("cannot read " + file + ": " + e.getMessage());
    }
  }
}
