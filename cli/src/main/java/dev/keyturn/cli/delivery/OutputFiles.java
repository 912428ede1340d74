package dev.keyturn.cli.delivery;

import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Renders an agent {@link AgentConfig.Output} and reads, writes and restores it. A rendering maps
 * file names to bytes: one entry named {@code ""} for a formatted file, one per variable for a
 * {@code files} folder. Every file is written whole (a temporary file with the output's mode and
 * owner, flushed, renamed in place), so a reader sees the old file or the new one.
 */
public final class OutputFiles {
  private OutputFiles() {}

  /** What {@code output} holds for {@code variables}; a value its format cannot carry throws. */
  public static Map<String, byte[]> render(AgentConfig.Output output, Variables variables) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    if (output.format().isPresent()) {
      out.put(
          "",
          output.format().get().render(variables, output.name()).getBytes(StandardCharsets.UTF_8));
    } else {
      variables.reveal().forEach((k, v) -> out.put(k, v.getBytes(StandardCharsets.UTF_8)));
    }
    return out;
  }

  /** What is on disk now, in the same shape; empty when nothing is. */
  public static Optional<Map<String, byte[]>> current(AgentConfig.Output output) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try {
      if (output.format().isPresent()) {
        out.put("", Files.readAllBytes(output.path()));
      } else {
        if (!Files.isDirectory(output.path())) {
          return Optional.empty();
        }
        try (Stream<Path> files = Files.list(output.path())) {
          for (Path f : files.sorted().toList()) {
            String name = f.getFileName().toString();
            if (Variables.validName(name) && Files.isRegularFile(f)) {
              out.put(name, Files.readAllBytes(f));
            }
          }
        }
      }
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput(
          "cannot read " + output.path() + ": " + AtomicFile.describe(e));
    }
    return Optional.of(out);
  }

  /** Replaces what {@code output} holds with {@code files}; a {@code files} folder loses others. */
  public static void write(AgentConfig.Output output, Map<String, byte[]> files) {
    Optional<UserPrincipal> user = Optional.empty();
    Optional<GroupPrincipal> group = Optional.empty();
    if (output.owner().isPresent()) {
      UserPrincipalLookupService lookup =
          output.path().getFileSystem().getUserPrincipalLookupService();
      String[] parts = output.owner().get().split(":", 2);
      try {
        user = Optional.of(lookup.lookupPrincipalByName(parts[0]));
        if (parts.length == 2) {
          group = Optional.of(lookup.lookupPrincipalByGroupName(parts[1]));
        }
      } catch (IOException e) {
        throw new KeyturnException.InvalidInput(
            output.path() + ": no such owner " + output.owner().get());
      }
    }
    Optional<UserPrincipal> u = user;
    Optional<GroupPrincipal> g = group;
    AtomicFile.Prepare prepare =
        tmp -> {
          Files.setPosixFilePermissions(tmp, output.mode());
          PosixFileAttributeView view =
              Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
          if (u.isPresent()) {
            view.setOwner(u.get());
          }
          if (g.isPresent()) {
            view.setGroup(g.get());
          }
        };
    if (output.format().isPresent()) {
      AtomicFile.write(output.path(), files.get(""), prepare);
      return;
    }
    SecretFolder.prepare(output.path());
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      AtomicFile.write(output.path().resolve(f.getKey()), f.getValue(), prepare);
    }
    try (Stream<Path> present = Files.list(output.path())) {
      for (Path f : present.toList()) {
        String name = f.getFileName().toString();
        if (Variables.validName(name) && !files.containsKey(name)) {
          Files.deleteIfExists(f);
        }
      }
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput(
          "cannot clean " + output.path() + ": " + AtomicFile.describe(e));
    }
  }

  /** Removes what {@code output} holds (a restore to nothing). */
  public static void remove(AgentConfig.Output output) {
    if (output.format().isEmpty()) {
      write(output, Map.of());
    } else {
      try {
        Files.deleteIfExists(output.path());
      } catch (IOException e) {
        throw new KeyturnException.InvalidInput(
            "cannot remove " + output.path() + ": " + AtomicFile.describe(e));
      }
    }
  }

  /** Whether two renderings hold the same files and bytes (constant time per file). */
  public static boolean same(Map<String, byte[]> a, Map<String, byte[]> b) {
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    boolean same = true;
    for (Map.Entry<String, byte[]> e : a.entrySet()) {
      same &= java.security.MessageDigest.isEqual(e.getValue(), b.get(e.getKey()));
    }
    return same;
  }
}
