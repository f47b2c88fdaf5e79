#!/bin/sh
# One host of the test fleet. Runs as pid 1 of its own mount, UTS and PID
# namespaces (`unshare --mount --uts --pid --fork --kill-child
# --propagation private`), builds the host's root and becomes its sshd.
#
#   host.sh NAME ADDRESS HOSTDIR SHAREDDIR PRODUCT
#
# The root is an overlay of / whose upper layer lives on a tmpfs (an upper
# layer on / itself would overlap the lower one) and starts as a copy of
# HOSTDIR/upper. /.dockerenv is hidden by a whiteout, so the host is no
# container to esmtls. HOSTDIR/config is the host's /etc/PRODUCT,
# HOSTDIR/ssh its /root/.ssh (in a home of its own), SHAREDDIR (sshd_config, keys, the restart
# socket) its /run/esmtls-fleet. Every mount lives in this namespace and
# goes with it; killing this process ends the host.
set -eu
name=$1 addr=$2 hdir=$3 shared=$4 product=$5
echo "$name" > /proc/sys/kernel/hostname
m=$hdir/mnt
mount -t tmpfs -o mode=0755 "fleet-$name" "$m"
mkdir "$m/upper" "$m/work" "$m/root"
cp -a "$hdir/upper/." "$m/upper/"
mknod "$m/upper/.dockerenv" c 0 0
mount -t overlay "fleet-$name" -o "lowerdir=/,upperdir=$m/upper,workdir=$m/work" "$m/root"
r=$m/root
mount --rbind /dev "$r/dev"
mount -t proc proc "$r/proc"
mount -t tmpfs -o mode=0755 run "$r/run"
mount -t tmpfs -o mode=1777 tmp "$r/tmp"
# root's home as on a fresh server (Debian's dot files), not this machine's:
# a shell setup here (pyenv and the like) would run on every SSH command.
mount -t tmpfs -o mode=0700 home "$r/root"
for f in bashrc profile; do
  if [ -f "/usr/share/base-files/dot.$f" ]; then
    cp "/usr/share/base-files/dot.$f" "$r/root/.$f"
  fi
done
mkdir -p "$r/run/sshd" "$r/run/esmtls-fleet" "$r/etc/$product" "$r/root/.ssh"
mount --bind "$shared" "$r/run/esmtls-fleet"
mount --bind "$hdir/config" "$r/etc/$product"
mount --bind "$hdir/ssh" "$r/root/.ssh"
exec chroot "$r" /usr/sbin/sshd -D -e -f /run/esmtls-fleet/sshd_config -o "ListenAddress=$addr:22"
