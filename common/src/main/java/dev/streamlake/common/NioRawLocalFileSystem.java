package dev.streamlake.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsAction;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's local file system with its two shell commands replaced by {@code java.nio}.
 *
 * <p>Without Hadoop's native library (which Spark's distribution does not ship), Hadoop sets a
 * file's permissions by starting {@code chmod} for every file it creates with a permission, and
 * looks for a symbolic link by starting {@code readlink} on both sides of every rename. Streaming
 * checkpoints and Delta's log store write each file through a create and a rename, so a driver on
 * a local disk started about 29 processes a second in the freshness run, each costing the
 * machine about 12 ms of CPU and the writing thread its wait (benchmarks/README.md, "Process
 * starts on local disks"). The behaviour is Hadoop's own: the same permission bits, the same
 * status for files and directories, and links still resolved by Hadoop.
 */
public class NioRawLocalFileSystem extends RawLocalFileSystem {

  /**
   * The permission through {@code java.nio}. A sticky bit, which the POSIX view cannot carry, or a
   * file system without POSIX attributes goes to Hadoop's own way.
   */
  @Override
  public void setPermission(Path p, FsPermission permission) throws IOException {
    if (permission.getStickyBit()) {
      super.setPermission(p, permission);
      return;
    }
    try {
      Files.setPosixFilePermissions(pathToFile(p).toPath(), posix(permission));
    } catch (UnsupportedOperationException notPosix) {
      super.setPermission(p, permission);
    }
  }

  /**
   * A path that is not a symbolic link has its plain status, which is what Hadoop returns for it
   * after asking {@code readlink}; a link goes to Hadoop, which resolves it.
   */
  @Override
  public FileStatus getFileLinkStatus(Path f) throws IOException {
    if (Files.isSymbolicLink(pathToFile(f).toPath())) {
      return super.getFileLinkStatus(f);
    }
    return getFileStatus(f);
  }

  static Set<PosixFilePermission> posix(FsPermission permission) {
    Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
    add(s, permission.getUserAction(), PosixFilePermission.OWNER_READ,
        PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
    add(s, permission.getGroupAction(), PosixFilePermission.GROUP_READ,
        PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE);
    add(s, permission.getOtherAction(), PosixFilePermission.OTHERS_READ,
        PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    return s;
  }

  private static void add(Set<PosixFilePermission> s, FsAction action, PosixFilePermission read,
      PosixFilePermission write, PosixFilePermission execute) {
    if (action.implies(FsAction.READ)) {
      s.add(read);
    }
    if (action.implies(FsAction.WRITE)) {
      s.add(write);
    }
    if (action.implies(FsAction.EXECUTE)) {
      s.add(execute);
    }
  }
}
