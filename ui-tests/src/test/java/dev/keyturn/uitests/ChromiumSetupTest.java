package dev.keyturn.uitests;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Response;
import dev.keyturn.server.ChildServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The browser set-up itself: Debian's Chromium opens a page of a real server and draws it. */
@ExtendWith(Chromium.class)
class ChromiumSetupTest {
  @TempDir Path dir;

  @Test
  void healthPage_inChromium_isServedAndDrawn(Browser browser) throws Exception {
    ChildServer server = ChildServer.start(dir.resolve("data"));
    try (BrowserContext context =
        browser.newContext(new Browser.NewContextOptions().setViewportSize(640, 360))) {
      Page page = context.newPage();

      Response response = page.navigate("http://127.0.0.1:" + server.port() + "/v1/health");
      byte[] png = page.screenshot();

      assertThat(response.status()).isEqualTo(200);
      assertThat(page.locator("body").innerText()).contains("\"status\":\"ok\"");
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
      assertThat(image.getWidth()).isEqualTo(640);
      assertThat(image.getHeight()).isEqualTo(360);
    } finally {
      server.kill();
    }
  }
}
