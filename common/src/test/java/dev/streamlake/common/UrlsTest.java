package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UrlsTest {

  @Test
  void userInfoIsCutAndTheRestKept() {
    assertThat(Urls.withoutUserInfo("https://alice:s3cret@registry:8081/sr"))
        .isEqualTo("https://registry:8081/sr");
    assertThat(Urls.withoutUserInfo("http://token@registry")).isEqualTo("http://registry");
    assertThat(Urls.withoutUserInfo("http://registry:8081")).isEqualTo("http://registry:8081");
    assertThat(Urls.withoutUserInfo(null)).isNull();
  }

  @Test
  void passwordsThatBreakUriSyntaxAreCutToo() {
    // unescaped '/', '?' and '@' in the password: parsing would end the authority early
    assertThat(Urls.withoutUserInfo("https://bob:a/b?c@d@registry/x"))
        .isEqualTo("https://registry/x");
    assertThat(Urls.withoutUserInfo("htps://bob:pw@registry")).isEqualTo("htps://registry");
  }
}
