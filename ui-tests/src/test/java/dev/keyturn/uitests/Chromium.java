package dev.keyturn.uitests;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import dev.keyturn.testing.TestServices;
import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests a {@link Browser}: Debian's headless Chromium at {@code /usr/bin/chromium}, driven by
 * Playwright, launched once per test JVM and closed when the JVM's tests end. Playwright unpacks
 * its driver (Node.js and its package, from the 200 MB jar) once per {@link Playwright} instance,
 * so there is exactly one. Each launch runs on a fresh temporary profile that Playwright deletes on
 * close; tests isolate themselves further with one {@code BrowserContext} each.
 *
 * <p>Without Chromium a test is skipped, or fails under {@code KEYTURN_IT=1} (CI installs it).
 */
public final class Chromium implements ParameterResolver {
  /** Debian's package {@code chromium}; Playwright never downloads a browser here. */
  static final Path EXECUTABLE = Path.of("/usr/bin/chromium");

  /**
   * Quiet and reproducible: no sandbox (tests may run as root), no GPU, no QUIC, and none of the
   * first-run, update, sync or background traffic a fresh profile would otherwise start.
   */
  static final List<String> FLAGS =
      List.of(
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync");

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(Chromium.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == Browser.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .computeIfAbsent(Launched.class, k -> Launched.start(), Launched.class)
        .browser();
  }

  private record Launched(Playwright playwright, Browser browser) implements AutoCloseable {
    static Launched start() {
      if (!Files.isExecutable(EXECUTABLE)) {
        TestServices.unavailable(
            "Chromium (Debian package chromium)",
            new FileNotFoundException(EXECUTABLE + " is missing"));
      }
      long t0 = System.nanoTime();
      Playwright playwright =
          Playwright.create(
              new Playwright.CreateOptions()
                  .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
      long t1 = System.nanoTime();
      try {
        Browser browser =
            playwright
                .chromium()
                .launch(
                    new BrowserType.LaunchOptions()
                        .setExecutablePath(EXECUTABLE)
                        .setHeadless(true)
                        .setArgs(FLAGS));
        // What the set-up costs a build (the driver is unpacked here, once per test JVM).
        System.err.printf(
            "chromium %s: Playwright driver ready in %d ms, browser launched in %d ms%n",
            browser.version(), (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
        // Waits for what a page shows, as long as a loaded machine needs (CI runs at load 10-25).
        PlaywrightAssertions.setDefaultAssertionTimeout(30_000);
        return new Launched(playwright, browser);
      } catch (RuntimeException e) {
        playwright.close();
        throw e;
      }
    }

    @Override
    public void close() {
      browser.close();
      playwright.close();
    }
  }
}
