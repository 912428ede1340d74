package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.Generator;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every {@code SECRET_KEY} that Django's own {@code check --deploy} warns about (security.W009),
 * asked of Debian's python3-django for real, is flagged by {@code keyturn doctor} (issue 16).
 */
class DjangoW009Test {
  private static final String PYTHON = "/usr/bin/python3";
  private static final String DJANGO_ALPHABET =
      "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)";
  private static final String[] ALPHABETS = {
    "a",
    "ab",
    "abcd",
    "abcde",
    "abcdef0123456789",
    DJANGO_ALPHABET,
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ09",
    "ąćęłńóśźż€",
    "x y"
  };

  /** Django's verdict, through the checks framework {@code check --deploy} runs. */
  private static final String DJANGO_CHECK =
      String.join(
          "\n",
          "import json, sys",
          "import django",
          "from django.conf import settings",
          "settings.configure(SECRET_KEY='x' * 60, DEBUG=False, ALLOWED_HOSTS=['example.com'])",
          "django.setup()",
          "from django.core import checks",
          "from django.test.utils import override_settings",
          "out = []",
          "for v in json.load(sys.stdin):",
          "    with override_settings(SECRET_KEY=v):",
          "        ids = [m.id for m in checks.run_checks(include_deployment_checks=True)]",
          "    out.append('security.W009' in ids)",
          "print(json.dumps(out))");

  @TempDir Path work;

  @Test
  void everyKeyDjangoWarnsAbout_isFlaggedByDoctor() throws Exception {
    List<String> candidates = candidates();
    List<Boolean> w009 = django(candidates);
    int warned = 0;
    List<String> missed = new ArrayList<>();

    for (int i = 0; i < candidates.size(); i++) {
      if (!w009.get(i)) {
        continue;
      }
      warned++;
      Path file = work.resolve(".env.c" + i);
      Files.writeString(file, "SECRET_KEY='" + candidates.get(i) + "'\n", StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      DeliveryFixture.Run r = doctor(file.getFileName().toString(), "--var", "SECRET_KEY");
      boolean flagged =
          r.code() == ExitCode.FOUND
              && r.out()
                  .lines()
                  .anyMatch(l -> l.startsWith("error ") && l.contains(" SECRET_KEY "));
      if (!flagged) {
        missed.add("candidate #" + i + " (length " + candidates.get(i).length() + ")");
      }
      if (candidates.get(i).length() > "django-insecure-".length()) {
        assertThat(r.out() + r.err()).doesNotContain(candidates.get(i));
      }
    }

    assertThat(warned).as("candidates Django warns about").isGreaterThan(candidates.size() / 3);
    assertThat(warned).as("candidates Django accepts").isLessThan(candidates.size());
    assertThat(missed).isEmpty();
  }

  private static List<String> candidates() {
    Random random = new Random(20261128L);
    List<String> out = new ArrayList<>();
    out.add("");
    for (String alphabet : ALPHABETS) {
      for (int length : new int[] {1, 4, 5, 8, 16, 32, 48, 49, 50, 51, 64, 100}) {
        out.add(draw(random, alphabet, length));
      }
    }
    for (int length : new int[] {0, 10, 33, 34, 40, 60}) {
      out.add("django-insecure-" + draw(random, DJANGO_ALPHABET, length));
    }
    out.add("CHANGE_THIS_TO_A_RANDOM_SECRET_KEY_IN_PRODUCTION");
    out.add("test-secret-key-not-for-production-use-only-for-testing");
    out.add("dt5@@x-m@-!fco)w!_$6l9$%9814@d91+^9u=td2mv_f8bpyjv");
    out.add("aaaabbbbccccddddaaaabbbbccccddddaaaabbbbccccddddaaaabbbb");
    SecureRandom secure = new SecureRandom();
    for (String spec :
        List.of("django", "hex:16", "hex:32", "base64:32", "base64url:32", "fernet", "uuid")) {
      for (int i = 0; i < 5; i++) {
        out.add(
            new String(Generator.parse(spec).generate(secure).reveal(), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static String draw(Random random, String alphabet, int length) {
    int[] points = alphabet.codePoints().toArray();
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) {
      s.appendCodePoint(points[random.nextInt(points.length)]);
    }
    String v = s.toString();
    return v.strip().equals(v) ? v : v.strip() + "q";
  }

  private static List<Boolean> django(List<String> values) throws Exception {
    boolean required = "1".equals(System.getenv("KEYTURN_IT"));
    Process p;
    try {
      p = new ProcessBuilder(PYTHON, "-c", DJANGO_CHECK).start();
    } catch (IOException e) {
      if (!required) {
        Assumptions.abort("needs " + PYTHON + ": " + e.getMessage());
      }
      throw e;
    }
    try (var in = p.getOutputStream()) {
      in.write(JsonMapper.builder().build().writeValueAsBytes(values));
    }
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    if (p.exitValue() != 0 && err.contains("ModuleNotFoundError") && !required) {
      Assumptions.abort("needs Debian's python3-django (apt-get install python3-django)");
    }
    assertThat(p.exitValue()).as(err).isZero();
    return JsonMapper.builder().build().readValue(out, new TypeReference<List<Boolean>>() {});
  }

  private DeliveryFixture.Run doctor(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Map.of(),
            work.resolve("home"),
            work,
            false);
    List<String> all = new ArrayList<>(List.of("doctor"));
    all.addAll(List.of(args));
    int code = KeyturnCli.run(io, all.toArray(String[]::new));
    return new DeliveryFixture.Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
