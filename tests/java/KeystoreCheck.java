// Independent reader/writer of elasticsearch.keystore for esmtls's tests. It makes the calls
// Elasticsearch's KeyStoreWrapper makes: Lucene CodecUtil for the header and footer (Debian's
// liblucene8-java; Lucene 8 writes ints big-endian, so ints after the header are byte-swapped
// for format 5+, where Elasticsearch runs on Lucene 9), the JDK's PBKDF2WithHmacSHA512 and
// AES/GCM/NoPadding with the salt as AAD, and DataOutputStream for the plaintext.
//
//   java KeystoreCheck read FILE PASSWORD [FILE PASSWORD ...]
//     prints "file=…", "version=…", "hasPassword=…", then "entry NAME=VALUE" lines, sorted.
//   java KeystoreCheck write FILE VERSION PASSWORD NAME=VALUE...
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.SecureRandom;
import java.util.*;
import javax.crypto.*;
import javax.crypto.spec.*;
import org.apache.lucene.codecs.CodecUtil;
import org.apache.lucene.store.*;

public class KeystoreCheck {
    static final String CODEC = "elasticsearch.keystore";

    public static void main(String[] a) throws Exception {
        if (a[0].equals("read")) {
            for (int i = 1; i + 1 < a.length; i += 2) read(Paths.get(a[i]).toAbsolutePath(), a[i + 1].toCharArray());
        } else {
            write(Paths.get(a[1]).toAbsolutePath(), Integer.parseInt(a[2]), a[3].toCharArray(), Arrays.copyOfRange(a, 4, a.length));
        }
    }

    static int rd(IndexInput in, int v) throws IOException {
        int x = in.readInt();
        return v >= 5 ? Integer.reverseBytes(x) : x;
    }

    static void wr(IndexOutput out, int v, int x) throws IOException {
        out.writeInt(v >= 5 ? Integer.reverseBytes(x) : x);
    }

    static Cipher cipher(int mode, char[] pw, byte[] salt, byte[] iv, int v) throws Exception {
        int iters = v >= 6 ? 210000 : 10000;
        int bits = v >= 7 ? 256 : 128;
        SecretKeyFactory f = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512");
        byte[] key = f.generateSecret(new PBEKeySpec(pw, salt, iters, bits)).getEncoded();
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
        c.updateAAD(salt);
        return c;
    }

    static byte[] bytes(IndexInput in, int n) throws IOException {
        byte[] b = new byte[n];
        in.readBytes(b, 0, n);
        return b;
    }

    static void read(Path file, char[] pw) throws Exception {
        try (Directory dir = new NIOFSDirectory(file.getParent());
             ChecksumIndexInput in = dir.openChecksumInput(file.getFileName().toString(), IOContext.READONCE)) {
            int v = CodecUtil.checkHeader(in, CODEC, 3, 7);
            byte hp = in.readByte();
            if (hp != 0 && hp != 1) throw new IllegalStateException("hasPassword boolean is corrupt");
            int dataLen = rd(in, v);
            int saltLen = rd(in, v);
            byte[] salt = bytes(in, saltLen);
            int ivLen = rd(in, v);
            byte[] iv = bytes(in, ivLen);
            int encLen = rd(in, v);
            byte[] enc = bytes(in, encLen);
            if (dataLen != 12 + saltLen + ivLen + encLen) throw new IllegalStateException("data length mismatch");
            CodecUtil.checkFooter(in);
            byte[] plain = cipher(Cipher.DECRYPT_MODE, hp == 1 ? pw : new char[0], salt, iv, v).doFinal(enc);
            DataInputStream d = new DataInputStream(new ByteArrayInputStream(plain));
            TreeMap<String, String> m = new TreeMap<>();
            int n = d.readInt();
            while (n-- > 0) {
                String name = d.readUTF();
                if (v == 3) d.readUTF();
                byte[] b = new byte[d.readInt()];
                d.readFully(b);
                m.put(name, new String(b, StandardCharsets.UTF_8));
            }
            if (d.read() != -1) throw new IllegalStateException("Keystore has been corrupted or tampered with");
            System.out.println("file=" + file.getFileName());
            System.out.println("version=" + v);
            System.out.println("hasPassword=" + hp);
            for (Map.Entry<String, String> e : m.entrySet()) System.out.println("entry " + e.getKey() + "=" + e.getValue());
        }
    }

    static void write(Path file, int v, char[] pw, String[] entries) throws Exception {
        try (Directory dir = new NIOFSDirectory(file.getParent());
             IndexOutput out = dir.createOutput(file.getFileName().toString(), IOContext.DEFAULT)) {
            CodecUtil.writeHeader(out, CODEC, v);
            out.writeByte((byte) (pw.length == 0 ? 0 : 1));
            SecureRandom r = new SecureRandom();
            byte[] salt = new byte[64];
            r.nextBytes(salt);
            byte[] iv = new byte[12];
            r.nextBytes(iv);
            ByteArrayOutputStream bo = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(bo);
            d.writeInt(entries.length);
            for (String e : entries) {
                int eq = e.indexOf('=');
                d.writeUTF(e.substring(0, eq));
                if (v == 3) d.writeUTF("STRING");
                byte[] b = e.substring(eq + 1).getBytes(StandardCharsets.UTF_8);
                d.writeInt(b.length);
                d.write(b);
            }
            d.flush();
            byte[] enc = cipher(Cipher.ENCRYPT_MODE, pw, salt, iv, v).doFinal(bo.toByteArray());
            wr(out, v, 12 + salt.length + iv.length + enc.length);
            wr(out, v, salt.length);
            out.writeBytes(salt, salt.length);
            wr(out, v, iv.length);
            out.writeBytes(iv, iv.length);
            wr(out, v, enc.length);
            out.writeBytes(enc, enc.length);
            CodecUtil.writeFooter(out);
        }
    }
}
