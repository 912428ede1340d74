package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Grant#covers} against brute force, over generated glob pairs. Random names rarely match a
 * glob, so the names tried are built from the globs' own pieces: {@code inner}'s glob with each
 * {@code *} replaced by a short string (empty, one or two characters from both globs plus one
 * neither uses, or a literal run of either glob). Every such name matches {@code inner}; {@code
 * covers} must hold exactly when every one of them also matches {@code outer}.
 */
class GlobPropertyTest {
  private static final char[] CHARS = {'a', 'b', '/', '*'};
  private static final int PAIRS = 3_000;

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 20261128, 0x5eed})
  void covers_generatedPairs_agreesWithBruteForce(long seed) {
    Random random = new Random(seed);
    int[] outcomes = new int[2];

    for (int i = 0; i < PAIRS; i++) {
      String outer = glob(random);
      String inner = i % 2 == 0 ? glob(random) : narrowed(outer, random);
      boolean expected = bruteForceIncludes(outer, inner);
      outcomes[expected ? 1 : 0]++;

      boolean actual = new Grant(Capability.READ, outer).covers(new Grant(Capability.READ, inner));

      assertThat(actual)
          .as("read:%s covers read:%s (seed %d)", outer, inner, seed)
          .isEqualTo(expected);
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {7, 8, 9})
  void matches_generatedGlobsAndNames_agreesWithARegex(long seed) {
    Random random = new Random(seed);

    for (int i = 0; i < PAIRS; i++) {
      String glob = glob(random);
      for (String name : substitutions(glob, pieces(glob, glob))) {
        String mutated = mutate(name, random);

        assertThat(Glob.matches(glob, mutated))
            .as("%s matches %s", glob, mutated)
            .isEqualTo(regex(glob).matcher(mutated).matches());
      }
    }
  }

  /** One to six characters of {@code a b / *}, at most three of them stars. */
  private static String glob(Random random) {
    while (true) {
      int length = 1 + random.nextInt(6);
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < length; i++) {
        out.append(CHARS[random.nextInt(CHARS.length)]);
      }
      if (out.chars().filter(c -> c == '*').count() <= 3) {
        return out.toString();
      }
    }
  }

  /**
   * {@code glob} with one character replaced by a generated glob: often a narrower pattern, and
   * when a literal is replaced, often not.
   */
  private static String narrowed(String glob, Random random) {
    int at = random.nextInt(glob.length());
    String inner = glob.substring(0, at) + glob(random) + glob.substring(at + 1);
    return inner.chars().filter(c -> c == '*').count() <= 3 ? inner : glob;
  }

  private static boolean bruteForceIncludes(String outer, String inner) {
    Pattern outerRegex = regex(outer);
    for (String name : substitutions(inner, pieces(outer, inner))) {
      if (!outerRegex.matcher(name).matches()) {
        return false;
      }
    }
    return true;
  }

  /** Short strings to put in place of a star: built from both globs' characters and runs. */
  private static List<String> pieces(String a, String b) {
    Set<String> out = new LinkedHashSet<>();
    out.add("");
    List<String> singles = new ArrayList<>();
    for (String g : List.of(a, b)) {
      for (String run : g.split("\\*+")) {
        if (!run.isEmpty()) {
          out.add(run);
        }
      }
      for (char c : g.toCharArray()) {
        if (c != '*') {
          singles.add(String.valueOf(c));
        }
      }
    }
    singles.add("x");
    for (String s : singles) {
      out.add(s);
      for (String t : singles) {
        out.add(s + t);
      }
    }
    return List.copyOf(out);
  }

  /** Every name made by replacing each star of {@code glob} with one of {@code pieces}. */
  private static List<String> substitutions(String glob, List<String> pieces) {
    List<String> names = new ArrayList<>(List.of(""));
    for (char c : glob.toCharArray()) {
      List<String> next = new ArrayList<>();
      for (String prefix : names) {
        if (c == '*') {
          for (String p : pieces) {
            next.add(prefix + p);
          }
        } else {
          next.add(prefix + c);
        }
      }
      names = next;
    }
    return names;
  }

  private static String mutate(String name, Random random) {
    if (name.isEmpty() || random.nextInt(3) > 0) {
      return name;
    }
    int at = random.nextInt(name.length());
    return name.substring(0, at) + "ab/x".charAt(random.nextInt(4)) + name.substring(at + 1);
  }

  private static Pattern regex(String glob) {
    StringBuilder out = new StringBuilder();
    for (char c : glob.toCharArray()) {
      out.append(c == '*' ? ".*" : Pattern.quote(String.valueOf(c)));
    }
    return Pattern.compile(out.toString(), Pattern.DOTALL);
  }
}
