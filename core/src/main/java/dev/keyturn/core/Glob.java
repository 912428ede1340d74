package dev.keyturn.core;

import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Name patterns of grants: {@code *} matches any characters, {@code /} included; every other
 * character matches itself. Matching and inclusion are decided exactly, on the patterns' automata,
 * never by comparing text. Stateless and thread-safe.
 */
final class Glob {
  static final int MAX_STARS = 8;
  static final int MAX_LENGTH = SecretName.MAX_LENGTH;

  /**
   * The most (state, subset) pairs {@link #includes} explores before it answers {@code false}: far
   * above what any pattern within the limits reaches, and a bound on the work an unusual pattern
   * can cause. Answering {@code false} only ever refuses a delegation.
   */
  private static final int MAX_PAIRS = 100_000;

  private Glob() {}

  /**
   * What makes {@code glob} unfit for a new grant, or null when it is canonical: the characters of
   * names plus {@code *}, at most {@value #MAX_LENGTH} characters and {@value #MAX_STARS} stars, no
   * {@code **}, no leading or trailing {@code /}, no empty segment, no {@code .} segment and no
   * {@code ..} anywhere. The description never quotes the pattern.
   */
  static String problem(String glob) {
    if (glob.isEmpty()) {
      return "the pattern is empty (e.g. read:app/production/*)";
    }
    if (glob.length() > MAX_LENGTH) {
      return "the pattern is longer than " + MAX_LENGTH + " characters";
    }
    int stars = 0;
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      boolean allowed =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '_'
              || c == '-'
              || c == '/'
              || c == '*';
      if (!allowed) {
        return "character "
            + describe(c)
            + " at position "
            + (i + 1)
            + " is not allowed (use letters, digits, '.', '_', '-', '/' and '*')";
      }
      if (c == '*') {
        stars++;
      }
    }
    if (stars > MAX_STARS) {
      return "the pattern has " + stars + " '*'; at most " + MAX_STARS + " are allowed";
    }
    if (glob.contains("**")) {
      return "'**' means the same as '*': write one";
    }
    if (glob.startsWith("/") || glob.endsWith("/")) {
      return "the pattern may not start or end with '/'";
    }
    if (glob.contains("//")) {
      return "the pattern may not contain an empty segment ('//')";
    }
    if (glob.contains("..")) {
      return "the pattern may not contain '..'";
    }
    for (String segment : glob.split("/", -1)) {
      if (segment.equals(".")) {
        return "the pattern may not contain a '.' segment";
      }
    }
    return null;
  }

  /** True if {@code glob} matches the whole of {@code name}. */
  static boolean matches(String glob, String name) {
    // Iterative wildcard match with backtracking to the last '*': linear in practice, no regex.
    int g = 0;
    int n = 0;
    int star = -1;
    int mark = 0;
    while (n < name.length()) {
      if (g < glob.length() && glob.charAt(g) == '*') {
        star = g++;
        mark = n;
      } else if (g < glob.length() && glob.charAt(g) == name.charAt(n)) {
        g++;
        n++;
      } else if (star >= 0) {
        g = star + 1;
        n = ++mark;
      } else {
        return false;
      }
    }
    while (g < glob.length() && glob.charAt(g) == '*') {
      g++;
    }
    return g == glob.length();
  }

  /**
   * True if every string {@code inner} matches is matched by {@code outer}.
   *
   * <p>Explores the product of the two patterns' subset automata, over the characters the two
   * patterns name plus one character neither names (every such character behaves alike in both). A
   * reachable pair where {@code inner} accepts and {@code outer} cannot is a string of the one
   * outside the other. Answers {@code false} when the exploration would exceed {@link #MAX_PAIRS}.
   */
  static boolean includes(String outer, String inner) {
    Automaton a = new Automaton(outer);
    Automaton b = new Automaton(inner);
    char[] alphabet = alphabet(outer, inner);
    Pair start = new Pair(b.closure(single(0)), a.closure(single(0)));
    Set<Pair> seen = new HashSet<>(List.of(start));
    ArrayDeque<Pair> queue = new ArrayDeque<>(List.of(start));
    while (!queue.isEmpty()) {
      Pair p = queue.poll();
      if (p.inner.get(b.accepting()) && !p.outer.get(a.accepting())) {
        return false;
      }
      for (char c : alphabet) {
        BitSet innerNext = b.closure(b.step(p.inner, c));
        if (innerNext.isEmpty()) {
          continue;
        }
        BitSet outerNext = a.closure(a.step(p.outer, c));
        if (outerNext.isEmpty()) {
          // Every state of a pattern's automaton can still reach its end.
          return false;
        }
        Pair q = new Pair(innerNext, outerNext);
        if (seen.add(q)) {
          if (seen.size() > MAX_PAIRS) {
            return false;
          }
          queue.add(q);
        }
      }
    }
    return true;
  }

  private static char[] alphabet(String a, String b) {
    Set<Character> chars = new TreeSet<>();
    for (String s : new String[] {a, b}) {
      for (int i = 0; i < s.length(); i++) {
        if (s.charAt(i) != '*') {
          chars.add(s.charAt(i));
        }
      }
    }
    char other = 0;
    while (chars.contains(other) || other == '*') {
      other++;
    }
    char[] out = new char[chars.size() + 1];
    int i = 0;
    for (char c : chars) {
      out[i++] = c;
    }
    out[i] = other;
    return out;
  }

  private static BitSet single(int state) {
    BitSet set = new BitSet();
    set.set(state);
    return set;
  }

  private static String describe(char c) {
    return c >= 0x21 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
  }

  /** The sets of states the inner and the outer pattern may be in after the same string. */
  private record Pair(BitSet inner, BitSet outer) {}

  /**
   * A pattern's automaton: state {@code i} means the first {@code i} pattern characters are
   * matched; a {@code *} at {@code i} loops on every character and may be skipped.
   */
  private record Automaton(String pattern) {
    int accepting() {
      return pattern.length();
    }

    /**
     * Adds the states reachable by skipping stars, and drops every state before the last star state
     * in the set: what a state before star {@code j} can still match, star {@code j} can too (its
     * loop absorbs the rest of that segment). A subset is then fixed by the last star reached and
     * the longest start of the next segment that the string read ends with: about {@code n} subsets
     * for a pattern of {@code n} characters.
     */
    BitSet closure(BitSet states) {
      BitSet out = (BitSet) states.clone();
      int lastStar = -1;
      for (int i = out.nextSetBit(0); i >= 0; i = out.nextSetBit(i + 1)) {
        if (i < pattern.length() && pattern.charAt(i) == '*') {
          out.set(i + 1);
          lastStar = i;
        }
      }
      if (lastStar > 0) {
        out.clear(0, lastStar);
      }
      return out;
    }

    BitSet step(BitSet states, char c) {
      BitSet out = new BitSet();
      for (int i = states.nextSetBit(0); i >= 0; i = states.nextSetBit(i + 1)) {
        if (i < pattern.length()) {
          char p = pattern.charAt(i);
          if (p == '*') {
            out.set(i);
          } else if (p == c) {
            out.set(i + 1);
          }
        }
      }
      return out;
    }
  }
}
