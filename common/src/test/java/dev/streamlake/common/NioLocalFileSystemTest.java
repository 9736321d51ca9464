package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NioLocalFileSystemTest {
  @TempDir java.nio.file.Path dir;

  @Test
  void aPermissionIsSetAsHadoopSetsIt() throws Exception {
    NioRawLocalFileSystem fs = raw();
    Path file = new Path(dir.resolve("f").toUri());
    Files.writeString(dir.resolve("f"), "x");

    fs.setPermission(file, new FsPermission((short) 0640));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("f"))))
        .isEqualTo("rw-r-----");
    fs.setPermission(file, new FsPermission((short) 0751));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("f"))))
        .isEqualTo("rwxr-x--x");
    assertThat(fs.getFileStatus(file).getPermission()).isEqualTo(new FsPermission((short) 0751));
  }

  @Test
  void linkStatusIsHadoopsForFilesDirectoriesLinksAndMissingPaths() throws Exception {
    NioRawLocalFileSystem ours = raw();
    org.apache.hadoop.fs.RawLocalFileSystem hadoops = new org.apache.hadoop.fs.RawLocalFileSystem();
    hadoops.initialize(java.net.URI.create("file:///"), new Configuration());
    Files.writeString(dir.resolve("target"), "data");
    Files.createDirectory(dir.resolve("sub"));
    Files.createSymbolicLink(dir.resolve("link"), dir.resolve("target"));

    for (String name : List.of("target", "sub", "link")) {
      for (Path p : List.of(new Path(dir.resolve(name).toUri()), new Path(dir.resolve(name).toString()))) {
        FileStatus mine = ours.getFileLinkStatus(p);
        FileStatus theirs = hadoops.getFileLinkStatus(p);
        assertThat(List.of(mine.isFile(), mine.isDirectory(), mine.isSymlink(), mine.getLen(),
                String.valueOf(mine.isSymlink() ? mine.getSymlink() : null)))
            .as(p.toString())
            .isEqualTo(List.of(theirs.isFile(), theirs.isDirectory(), theirs.isSymlink(),
                theirs.getLen(), String.valueOf(theirs.isSymlink() ? theirs.getSymlink() : null)));
      }
    }
    // Hadoop finds a link by a path without scheme; so do we, through Hadoop.
    FileStatus link = ours.getFileLinkStatus(new Path(dir.resolve("link").toString()));
    assertThat(link.isSymlink()).isTrue();
    assertThat(link.getSymlink().toUri().getPath()).isEqualTo(dir.resolve("target").toString());
    assertThat(ours.getFileLinkStatus(new Path(dir.resolve("target").toUri())).getLen()).isEqualTo(4);
    assertThatThrownBy(() -> ours.getFileLinkStatus(new Path(dir.resolve("missing").toUri())))
        .isInstanceOf(FileNotFoundException.class);
  }

  @Test
  void aRenameOntoAnExistingFileFailsUnlessItMayOverwrite() throws Exception {
    Configuration nio = new Configuration();
    SparkSessions.LOCAL_FILE_SYSTEM.forEach(
        (k, v) -> nio.set(k.substring("spark.hadoop.".length()), v));
    FileContext fc = FileContext.getFileContext(new Path(dir.toUri()).toUri(), nio);
    Path a = new Path(dir.resolve("a").toUri());
    Path b = new Path(dir.resolve("b").toUri());
    write(fc, a, "first");
    write(fc, b, "second");

    assertThatThrownBy(() -> fc.rename(a, b, Options.Rename.NONE))
        .isInstanceOf(FileAlreadyExistsException.class);
    fc.rename(a, b, Options.Rename.OVERWRITE);
    assertThat(Files.readString(dir.resolve("b"))).isEqualTo("first");
    assertThat(Files.exists(dir.resolve("a"))).isFalse();
  }

  @Test
  void theSessionSettingsNameTheseClasses() {
    assertThat(SparkSessions.LOCAL_FILE_SYSTEM).containsOnly(
        java.util.Map.entry("spark.hadoop.fs.file.impl", NioLocalFileSystem.class.getName()),
        java.util.Map.entry("spark.hadoop.fs.AbstractFileSystem.file.impl",
            NioLocalFs.class.getName()));
  }

  @Test
  void hadoopsCachedLocalFileSystemGivesWayToTheConfiguredOne() throws Exception {
    Configuration stock = new Configuration();
    if (!FileSystem.getLocal(stock).getClass().equals(LocalFileSystem.class)) {
      FileSystem.getLocal(stock).close();
    }
    // What spark-submit leaves in Hadoop's cache before a session exists.
    assertThat(FileSystem.getLocal(stock)).isExactlyInstanceOf(LocalFileSystem.class);
    Configuration session = new Configuration();
    SparkSessions.LOCAL_FILE_SYSTEM.forEach(
        (k, v) -> session.set(k.substring("spark.hadoop.".length()), v));

    NioLocalFileSystem.replaceCachedInstance(session);

    assertThat(FileSystem.getLocal(session)).isExactlyInstanceOf(NioLocalFileSystem.class);
    assertThat(FileSystem.get(dir.toUri(), session)).isExactlyInstanceOf(NioLocalFileSystem.class);
  }

  private NioRawLocalFileSystem raw() throws IOException {
    NioRawLocalFileSystem fs = new NioRawLocalFileSystem();
    fs.initialize(java.net.URI.create("file:///"), new Configuration());
    return fs;
  }

  private static void write(FileContext fc, Path p, String text) throws IOException {
    try (OutputStream out = fc.create(p, EnumSet.of(CreateFlag.CREATE, CreateFlag.OVERWRITE),
        Options.CreateOpts.createParent())) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
