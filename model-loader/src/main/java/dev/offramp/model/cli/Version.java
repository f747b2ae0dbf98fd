package dev.offramp.model.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** {@code --version}: the project's version, written into the build by Maven. */
public final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("offramp-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        }
        return new String[] {"offramp " + p.getProperty("version", "unknown")};
    }
}
