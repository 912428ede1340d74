package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The client behind trusted proxies: right to left over every line and comma. */
class TrustedProxiesTest {
  private final TrustedProxies oneProxy = TrustedProxies.parse(List.of("192.0.2.10"));
  private final TrustedProxies twoProxies =
      TrustedProxies.parse(List.of("192.0.2.0/24", "10.0.0.0/8,fd00::/8"));

  @Test
  void untrustedPeer_itsForwardedForIsIgnored() {
    assertThat(oneProxy.client("198.51.100.9", List.of("203.0.113.7"))).isEqualTo("198.51.100.9");
    assertThat(TrustedProxies.NONE.client("127.0.0.1", List.of("203.0.113.7")))
        .isEqualTo("127.0.0.1");
  }

  @Test
  void oneProxy_oneLine_theProxysEntryIsTheClient() {
    assertThat(oneProxy.client("192.0.2.10", List.of("203.0.113.7"))).isEqualTo("203.0.113.7");
    assertThat(oneProxy.client("192.0.2.10", List.of("6.6.6.6, 203.0.113.7")))
        .isEqualTo("203.0.113.7");
  }

  @Test
  void oneProxy_clientSentItsOwnLineFirst_theProxysLineWins() {
    assertThat(oneProxy.client("192.0.2.10", List.of("6.6.6.6", "203.0.113.7")))
        .isEqualTo("203.0.113.7");
    assertThat(oneProxy.client("192.0.2.10", List.of("6.6.6.6", "7.7.7.7,8.8.8.8", "203.0.113.7")))
        .isEqualTo("203.0.113.7");
  }

  @Test
  void twoProxies_oneLine_skipsTheTrustedHop() {
    assertThat(twoProxies.client("192.0.2.1", List.of("6.6.6.6, 203.0.113.7, 10.1.2.3")))
        .isEqualTo("203.0.113.7");
  }

  @Test
  void twoProxies_severalLines_skipsTheTrustedHop() {
    assertThat(twoProxies.client("192.0.2.1", List.of("6.6.6.6", "203.0.113.7", "10.1.2.3")))
        .isEqualTo("203.0.113.7");
    assertThat(twoProxies.client("192.0.2.1", List.of("6.6.6.6, 203.0.113.7", "10.1.2.3")))
        .isEqualTo("203.0.113.7");
  }

  @Test
  void clientClaimingATrustedAddressLeftOfItsOwn_isStillItself() {
    assertThat(twoProxies.client("192.0.2.1", List.of("10.9.9.9, 203.0.113.7, 10.1.2.3")))
        .isEqualTo("203.0.113.7");
  }

  @Test
  void everyHopTrusted_theFarthestIsTheClient() {
    assertThat(twoProxies.client("192.0.2.1", List.of("10.1.2.3"))).isEqualTo("10.1.2.3");
    assertThat(twoProxies.client("192.0.2.1", List.of())).isEqualTo("192.0.2.1");
  }

  @Test
  void entryThatIsNotAnAddress_stopsAtTheNearestTrustedHop() {
    for (String junk :
        new String[] {
          "localhost", "unknown", "", "1.2.3.4.5", "256.1.1.1", "fe80::1%eth0", "x\r\n"
        }) {
      assertThat(twoProxies.client("192.0.2.1", List.of("203.0.113.7, " + junk)))
          .as(junk)
          .isEqualTo("192.0.2.1");
      assertThat(twoProxies.client("192.0.2.1", List.of(junk + ", 203.0.113.7")))
          .as(junk)
          .isEqualTo("203.0.113.7");
    }
  }

  @Test
  void ipv6AndPorts_areCanonical() {
    assertThat(twoProxies.client("fd00::5", List.of("[2001:DB8:0:0:0:0:0:1]:443")))
        .isEqualTo("2001:db8::1");
    assertThat(twoProxies.client("fd00::5", List.of("203.0.113.7:5555"))).isEqualTo("203.0.113.7");
    assertThat(twoProxies.client("0:0:0:0:0:0:0:1", List.of("203.0.113.7"))).isEqualTo("::1");
    assertThat(twoProxies.client("fd00:0:0:0:0:0:0:5", List.of("::ffff:203.0.113.7")))
        .isEqualTo("203.0.113.7");
    assertThat(twoProxies.client("192.0.2.1", List.of("2001:db8:0:1:0:0:0:1")))
        .isEqualTo("2001:db8:0:1::1");
  }
}
