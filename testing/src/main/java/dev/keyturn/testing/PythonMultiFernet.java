package dev.keyturn.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The reference check of Fernet tokens: Python {@code cryptography}'s {@code MultiFernet} over a
 * keyring's keys (in keyring order) decrypts each token and compares it with the plaintext it must
 * hold. Keys and tokens go through files in a private temporary directory, never a command line.
 */
public final class PythonMultiFernet {
  private static final String SCRIPT =
      "import sys\n"
          + "from cryptography.fernet import Fernet, MultiFernet\n"
          + "mf=MultiFernet([Fernet(l.strip()) for l in open(sys.argv[1]) if l.strip()])\n"
          + "n=0\n"
          + "for line in open(sys.argv[2]):\n"
          + "  i,t,p=line.rstrip('\\n').split('\\t')\n"
          + "  try:\n"
          + "    ok=mf.decrypt(t.encode()).decode()==p\n"
          + "  except Exception:\n"
          + "    ok=False\n"
          + "  if not ok: print('row',i,'does not open'); sys.exit(1)\n"
          + "  n+=1\n"
          + "print('ok',n)\n";

  private PythonMultiFernet() {}

  /**
   * {@code "ok N"} when every token opens to its plaintext, else which row does not.
   *
   * @param tokens row id to token
   * @param plaintexts row id to the plaintext the token must hold
   */
  public static String check(
      List<String> keys, Map<Long, String> tokens, Map<Long, String> plaintexts)
      throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("keyturn-multifernet-");
    try {
      Path keyFile = dir.resolve("keys");
      Path rowFile = dir.resolve("rows");
      Files.writeString(keyFile, String.join("\n", keys) + "\n");
      StringBuilder rows = new StringBuilder();
      tokens.forEach((id, t) ->
          rows.append(id)
              .append('\t')
              .append(t)
              .append('\t')
              .append(plaintexts.get(id))
              .append('\n'));
      Files.writeString(rowFile, rows);
      Process p =
          new ProcessBuilder("python3", "-c", SCRIPT, keyFile.toString(), rowFile.toString())
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      p.waitFor(60, TimeUnit.SECONDS);
      return out;
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }
}
