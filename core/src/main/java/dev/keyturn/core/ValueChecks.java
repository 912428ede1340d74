package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Value hygiene: is a value a placeholder someone forgot to replace, or too weak to be a secret?
 * Shared by the server (a put refuses placeholders and warns about weak values) and the CLI ({@code
 * keyturn doctor}). The checks and their ids are documented in docs/doctor.md; the ids are stable.
 * Results name checks only, never any part of the value.
 *
 * <p>Placeholders: the whole value, or one of its words (split at {@code _}, {@code -}, space and
 * case changes), matches one of {@link #PLACEHOLDER_WORDS} case-insensitively; the value starts
 * with {@code django-insecure-}; it is wrapped in {@code <>}; or it matches a caller's extra
 * pattern. A word matches only when the value reads as words (each a run of letters, optionally
 * followed by digits, or digits alone): random values mix letters, digits and symbols inside their
 * words, so a random {@code ...-xxx-...} or {@code ...aTodoB...} never makes a generated value a
 * placeholder.
 *
 * <p>Weak values: fewer than 128 estimated bits (64 for names containing {@code PASS} or {@code
 * PWD}), fewer than 5 distinct characters, or, for {@code SECRET_KEY}, fewer than 50 characters
 * (Django's check W009). Estimated bits are length × log2 of the summed sizes of the character
 * classes present: lower case 26, upper case 26, digits 10, anything else 33; 16 for a value of hex
 * digits only that has a letter.
 *
 * <p>Stateless and thread-safe.
 */
public final class ValueChecks {
  /** The placeholder patterns, matched against the whole value and its words. */
  public static final List<Pattern> PLACEHOLDER_WORDS =
      List.of(
              "change_?(this|me)",
              "changeme",
              "replace_?me",
              "your[-_ ].*[-_ ]here",
              "xxx+",
              "todo",
              "dummy",
              "example",
              "secret",
              "password",
              "not-for-production")
          .stream()
          .map(p -> Pattern.compile(p, Pattern.CASE_INSENSITIVE | Pattern.DOTALL))
          .toList();

  /** Estimated bits below which a value is weak. */
  public static final int MIN_BITS = 128;

  /**
   * Estimated bits below which a value of a password-like name ({@code PASS}, {@code PWD}) is weak.
   */
  public static final int MIN_PASSWORD_BITS = 64;

  /** Fewer distinct characters than this make a value weak (Django's W009 uses 5). */
  public static final int MIN_DISTINCT = 5;

  /** A {@code SECRET_KEY} shorter than this is weak (Django's W009 uses 50). */
  public static final int MIN_SECRET_KEY_LENGTH = 50;

  private static final String DJANGO_INSECURE = "django-insecure-";
  private static final Pattern NATURAL_WORD = Pattern.compile("[A-Za-z]+[0-9]*|[0-9]+");
  private static final Pattern DESCRIPTIVE_WORD = Pattern.compile("[a-z]{3,}|[A-Z]{3,}");
  private static final Pattern UNIFORM_WORD =
      Pattern.compile("(?:[a-z]{2,}|[A-Z]{2,}|[A-Z][a-z]+)[0-9]*");
  private static final List<String> SENSITIVE_PARTS =
      List.of("SECRET", "KEY", "TOKEN", "SALT", "PASS", "PWD");

  /** A check and its stable id; {@link #placeholder()} tells whether a put refuses it. */
  public enum Check {
    PLACEHOLDER("value.placeholder", true),
    DJANGO_INSECURE("value.django-insecure", true),
    ANGLE_BRACKETS("value.angle-brackets", true),
    PLACEHOLDER_PATTERN("value.placeholder-pattern", true),
    WEAK_BITS("value.weak-bits", false),
    FEW_CHARACTERS("value.few-characters", false),
    SHORT_SECRET_KEY("value.short-secret-key", false);

    private final String id;
    private final boolean placeholder;

    Check(String id, boolean placeholder) {
      this.id = id;
      this.placeholder = placeholder;
    }

    /** The stable id, e.g. {@code value.placeholder}. */
    public String id() {
      return id;
    }

    /** True for the placeholder checks, false for the weak-value ones. */
    public boolean placeholder() {
      return placeholder;
    }

    /** What the check found, for people; never quotes the value. */
    public String describe() {
      return switch (this) {
        case PLACEHOLDER -> "the value is a placeholder";
        case DJANGO_INSECURE -> "the value starts with django-insecure-";
        case ANGLE_BRACKETS -> "the value is wrapped in <>";
        case PLACEHOLDER_PATTERN -> "the value matches the --placeholder pattern";
        case WEAK_BITS -> "the value is weak (too few estimated bits)";
        case FEW_CHARACTERS -> "the value has fewer than " + MIN_DISTINCT + " distinct characters";
        case SHORT_SECRET_KEY ->
            "SECRET_KEY is shorter than " + MIN_SECRET_KEY_LENGTH + " characters (Django W009)";
      };
    }
  }

  private ValueChecks() {}

  /** The placeholder checks {@code value} fails, in {@link Check} order; empty when none. */
  public static List<Check> placeholder(String value) {
    return placeholder(value, Optional.empty());
  }

  /** As {@link #placeholder(String)}, also failing values {@code extra} matches (anywhere). */
  public static List<Check> placeholder(String value, Optional<Pattern> extra) {
    requireNonNull(value, "value");
    requireNonNull(extra, "extra");
    List<Check> found = new ArrayList<>();
    if (matchesPlaceholderWords(value)) {
      found.add(Check.PLACEHOLDER);
    }
    if (value.startsWith(DJANGO_INSECURE)) {
      found.add(Check.DJANGO_INSECURE);
    }
    String trimmed = value.strip();
    if (trimmed.length() >= 2
        && trimmed.startsWith("<")
        && trimmed.endsWith(">")
        && describes(trimmed.substring(1, trimmed.length() - 1))) {
      found.add(Check.ANGLE_BRACKETS);
    }
    if (extra.isPresent() && extra.get().matcher(value).find()) {
      found.add(Check.PLACEHOLDER_PATTERN);
    }
    return List.copyOf(found);
  }

  /**
   * The weak-value checks {@code value} fails as the value of variable {@code name} (the last
   * segment of a secret name, or a JSON field name), in {@link Check} order; empty when none.
   */
  public static List<Check> weak(String name, String value) {
    requireNonNull(name, "name");
    requireNonNull(value, "value");
    List<Check> found = new ArrayList<>();
    int minBits = passwordLike(name) ? MIN_PASSWORD_BITS : MIN_BITS;
    if (estimatedBits(value) < minBits) {
      found.add(Check.WEAK_BITS);
    }
    if (value.codePoints().distinct().count() < MIN_DISTINCT) {
      found.add(Check.FEW_CHARACTERS);
    }
    if (name.equalsIgnoreCase("SECRET_KEY")
        && value.codePointCount(0, value.length()) < MIN_SECRET_KEY_LENGTH) {
      found.add(Check.SHORT_SECRET_KEY);
    }
    return List.copyOf(found);
  }

  /** Every check {@code value} fails as the value of {@code name}: placeholders, then weakness. */
  public static List<Check> all(String name, String value, Optional<Pattern> extra) {
    List<Check> found = new ArrayList<>(placeholder(value, extra));
    found.addAll(weak(name, value));
    return List.copyOf(found);
  }

  /**
   * Length × log2 of the summed sizes of the classes present (lower 26, upper 26, digits 10, other
   * 33); 16 per character for hex digits only with at least one letter. Zero for an empty value.
   */
  public static double estimatedBits(String value) {
    requireNonNull(value, "value");
    boolean lower = false;
    boolean upper = false;
    boolean digit = false;
    boolean other = false;
    boolean hexOnly = true;
    int length = 0;
    for (int i = 0; i < value.length(); ) {
      int c = value.codePointAt(i);
      i += Character.charCount(c);
      length++;
      if (c >= 'a' && c <= 'z') {
        lower = true;
      } else if (c >= 'A' && c <= 'Z') {
        upper = true;
      } else if (c >= '0' && c <= '9') {
        digit = true;
      } else {
        other = true;
      }
      hexOnly &= (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
    if (length == 0) {
      return 0;
    }
    int pool = (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (other ? 33 : 0);
    if (hexOnly && (lower || upper)) {
      pool = 16;
    }
    return pool <= 1 ? 0 : length * (Math.log(pool) / Math.log(2));
  }

  /** True for names containing {@code PASS} or {@code PWD} (any case): they get 64 bits. */
  public static boolean passwordLike(String name) {
    String upper = name.toUpperCase(Locale.ROOT);
    return upper.contains("PASS") || upper.contains("PWD");
  }

  /**
   * True for names whose values doctor checks without being told: containing {@code SECRET}, {@code
   * KEY}, {@code TOKEN}, {@code SALT}, {@code PASS} or {@code PWD} (any case). A put checks the
   * fields of a JSON value with such names only.
   */
  public static boolean sensitive(String name) {
    String upper = name.toUpperCase(Locale.ROOT);
    return SENSITIVE_PARTS.stream().anyMatch(upper::contains);
  }

  /**
   * The words of {@code value}: split at {@code _}, {@code -}, space and case changes (a lower-case
   * letter followed by an upper-case one; the last of several upper-case letters followed by a
   * lower-case one starts a word). Empty words are dropped.
   */
  static List<String> words(String value) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    int n = value.length();
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (c == '_' || c == '-' || c == ' ') {
        flush(words, word);
        continue;
      }
      if (word.length() > 0 && Character.isUpperCase(c)) {
        char before = value.charAt(i - 1);
        boolean camel = Character.isLowerCase(before);
        boolean acronymEnd =
            Character.isUpperCase(before)
                && i + 1 < n
                && Character.isLowerCase(value.charAt(i + 1));
        if (camel || acronymEnd) {
          flush(words, word);
        }
      }
      word.append(c);
    }
    flush(words, word);
    return words;
  }

  private static void flush(List<String> words, StringBuilder word) {
    if (word.length() > 0) {
      words.add(word.toString());
      word.setLength(0);
    }
  }

  private static boolean matchesPlaceholderWords(String value) {
    String whole = value.strip();
    for (Pattern p : PLACEHOLDER_WORDS) {
      if (p.matcher(whole).matches()) {
        return true;
      }
    }
    List<String> words = words(whole);
    if (words.isEmpty() || !words.stream().allMatch(w -> NATURAL_WORD.matcher(w).matches())) {
      return false;
    }
    // Single words, then runs of up to four, joined both ways, for the patterns that span words
    // (change_this, your-...-here, not-for-production).
    for (int i = 0; i < words.size(); i++) {
      for (int end = i + 1; end <= Math.min(words.size(), i + 4); end++) {
        List<String> run = words.subList(i, end);
        String last = run.get(run.size() - 1);
        String trimmedLast = last.replaceFirst("[0-9]+$", "");
        List<String> bare = new ArrayList<>(run.subList(0, run.size() - 1));
        bare.add(trimmedLast.isEmpty() ? last : trimmedLast);
        for (List<String> candidate : List.of(run, bare)) {
          if (anyMatches(String.join("_", candidate)) || anyMatches(String.join("-", candidate))) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /**
   * Whether the text inside {@code <>} describes a value ({@code your-paystack-key}, {@code db
   * password}, {@code TOKEN}): one word of three letters or more in one case, or words of two
   * letters or more (optionally followed by digits) in one case each, split at {@code -}, {@code
   * _}, space or {@code .}. A random password that happens to start with {@code <} and end with
   * {@code >} does not.
   */
  private static boolean describes(String inside) {
    if (DESCRIPTIVE_WORD.matcher(inside).matches()) {
      return true;
    }
    String[] words = inside.split("[-_ .]", -1);
    if (words.length < 2) {
      return false;
    }
    for (String w : words) {
      if (!UNIFORM_WORD.matcher(w).matches()) {
        return false;
      }
    }
    return true;
  }

  private static boolean anyMatches(String text) {
    for (Pattern p : PLACEHOLDER_WORDS) {
      if (p.matcher(text).matches()) {
        return true;
      }
    }
    return false;
  }
}
