package dev.keyturn.cli.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The reader of systemd environment files used to check {@code --format systemd}, held to the cases
 * of systemd's own test suite: src/test/test-env-file.c in systemd (LGPL-2.1-or-later,
 * github.com/systemd/systemd), tests {@code load_env_file_1} to {@code _6}, {@code
 * load_env_file_invalid_utf8}, {@code parse_env_file} and {@code parse_multiline_env_file}. The
 * inputs and expected assignments are systemd's, written as Java strings.
 */
class SystemdEnvFileTest {
  @Test
  void loadEnvFile1_laterKeysWin_continuationsAndTrailingBlanks() {
    String file =
        "a=a\n"
            + "a=b\n"
            + "a=b\n"
            + "a=a\n"
            + "b=b\\\n"
            + "c\n"
            + "d= d\\\n"
            + "e  \\\n"
            + "f  \n"
            + "g=g\\ \n"
            + "h= ąęół\\ śćńźżμ \n"
            + "i=i\\";

    assertThat(SystemdEnvFile.load(file))
        .containsExactly("a=a", "b=bc", "d=de  f", "g=g ", "h=ąęół śćńźżμ", "i=i");
  }

  @Test
  void loadEnvFile2_trailingContinuationAtEnd() {
    assertThat(SystemdEnvFile.load("a=a\\\n")).containsExactly("a=a");
  }

  @Test
  void loadEnvFile3_commentsDoNotContinue() {
    String file =
        "#SPAMD_ARGS=\"-d --socketpath=/var/lib/bulwark/spamd \\\n"
            + "#--nouser-config                                     \\\n"
            + "normal1=line\\\n"
            + "111\n"
            + ";normal=ignored                                      \\\n"
            + "normal2=line222\n"
            + "normal ignored                                       \\\n";

    assertThat(SystemdEnvFile.load(file)).containsExactly("normal1=line111", "normal2=line222");
  }

  @Test
  void loadEnvFile4_quotedWithBlankLinesAndComments() {
    String file =
        "# Generated\n"
            + "\n"
            + "HWMON_MODULES=\"coretemp f71882fg\"\n"
            + "\n"
            + "# For compatibility reasons\n"
            + "\n"
            + "MODULE_0=coretemp\n"
            + "MODULE_1=f71882fg";

    assertThat(SystemdEnvFile.load(file))
        .containsExactly(
            "HWMON_MODULES=coretemp f71882fg", "MODULE_0=coretemp", "MODULE_1=f71882fg");
  }

  @Test
  void loadEnvFile5_emptyValues() {
    assertThat(SystemdEnvFile.load("a=\nb=")).containsExactly("a=", "b=");
  }

  @Test
  void loadEnvFile6_escapesUnquotedSingleAndDouble() {
    String file =
        "a=\\ \\n \\t \\x \\y \\' \n"
            + "b= \\$'                  \n"
            + "c= ' \\n\\t\\$\\`\\\\\n"
            + "'   \n"
            + "d= \" \\n\\t\\$\\`\\\\\n"
            + "\"   \n";

    assertThat(SystemdEnvFile.load(file))
        .containsExactly("a= n t x y '", "b=$'", "c= \\n\\t\\$\\`\\\\\n", "d= \\n\\t$`\\\n");
  }

  @Test
  void loadEnvFileInvalidUtf8_noncharactersAreRefused() {
    for (String file : new String[] {"fo\ufffeo=bar", "foo=b\uffffar", "baz=hello world\ufffe"}) {
      assertThatThrownBy(() -> SystemdEnvFile.load(file))
          .as(file)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void parseEnvFile_blanksCommentsQuotesExport() {
    String file =
        "one=BAR   \n"
            + "# comment\n"
            + " # comment \n"
            + " ; comment \n"
            + "  two   =   bar    \n"
            + "invalid line\n"
            + "invalid line #comment\n"
            + "three = \"333\n"
            + "xxxx\"\n"
            + "four = '44\\\"44'\n"
            + "five = \"55\\\"55\" \"FIVE\" cinco   \n"
            + "six = seis sechs\\\n"
            + " sis\n"
            + "seven=\"sevenval\" #nocomment\n"
            + "eight=eightval #nocomment\n"
            + "export nine=nineval\n"
            + "ten=ignored\n"
            + "ten=ignored\n"
            + "ten=\n"
            + "eleven=\\value\n"
            + "twelve=\"\\value\"\n"
            + "thirteen='\\value'";

    assertThat(SystemdEnvFile.load(file))
        .containsExactly(
            "one=BAR",
            "two=bar",
            "three=333\nxxxx",
            "four=44\\\"44",
            "five=55\"55FIVEcinco",
            "six=seis sechs sis",
            "seven=sevenval#nocomment",
            "eight=eightval #nocomment",
            "export nine=nineval",
            "ten=",
            "eleven=value",
            "twelve=\\value",
            "thirteen=\\value");
  }

  @Test
  void parseMultilineEnvFile_continuationsInsideAndOutsideQuotes() {
    String file =
        "one=BAR\\\n"
            + "\\ \\ \\ \\ VAR\\\n"
            + "\\\tGAR\n"
            + "#comment\n"
            + "two=\"bar\\\n"
            + "    var\\\n"
            + "\tgar\"\n"
            + "#comment\n"
            + "tri=\"bar \\\n"
            + "    var \\\n"
            + "\tgar \"\n";

    assertThat(SystemdEnvFile.load(file))
        .containsExactly("one=BAR    VAR\tGAR", "two=bar    var\tgar", "tri=bar     var \tgar ");
  }
}
