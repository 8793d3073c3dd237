package org.dispatchmail.dist;

import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** Command line of the Dispatch distribution: run the server, and the admin commands beside it. */
public final class DispatchLauncher {
    private static final String USAGE = String.join("\n",
        "usage: dispatch <command> [options]",
        "",
        "  run [--conf DIR] [--state DIR]       start Cassandra (unless configured) and James with Dispatch",
        "  add-domain DOMAIN                    add a local domain to the running server",
        "  add-user ADDRESS [PASSWORD]          add a user (asks for the password when not given)",
        "",
        "options:",
        "  --conf DIR       configuration folder (default: conf)",
        "  --state DIR      where Cassandra, James and the logs keep their data (default: state)",
        "  --home DIR       the built distribution (default: the folder of the launcher jar)",
        "  --webadmin URL   James's webadmin for the admin commands (default: from DIR/webadmin.properties)",
        "",
        "environment: JAVA_OPTS  JVM options of James (default -Xms256m -Xmx1g)");

    private DispatchLauncher() {
    }

    public static void main(String[] args) {
        try {
            System.exit(execute(args));
        } catch (LaunchException e) {
            System.err.println("dispatch: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            System.err.println("dispatch: unexpected error: " + e);
            System.exit(3);
        }
    }

    static int execute(String[] args) throws Exception {
        List<String> positional = new ArrayList<>();
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--")) {
                if (i + 1 >= args.length) {
                    throw new LaunchException("option " + args[i] + " needs a value\n" + USAGE);
                }
                options.put(args[i], args[++i]);
            } else {
                positional.add(args[i]);
            }
        }
        for (String option : options.keySet()) {
            if (!List.of("--conf", "--state", "--home", "--webadmin").contains(option)) {
                throw new LaunchException("unknown option " + option + "\n" + USAGE);
            }
        }
        if (positional.isEmpty() || positional.get(0).equals("help")) {
            System.out.println(USAGE);
            return positional.isEmpty() ? 2 : 0;
        }
        Path conf = Path.of(options.getOrDefault("--conf", "conf"));
        switch (positional.get(0)) {
            case "run":
                expectArguments(positional, 1);
                Path home = options.containsKey("--home") ? Path.of(options.get("--home")) : launcherHome();
                return new RunCommand(home, conf, Path.of(options.getOrDefault("--state", "state")), System.out).run();
            case "add-domain":
                expectArguments(positional, 2);
                webadmin(options, conf).addDomain(positional.get(1));
                System.out.println("Domain " + positional.get(1) + " added.");
                return 0;
            case "add-user":
                if (positional.size() < 2 || positional.size() > 3) {
                    throw new LaunchException("add-user takes ADDRESS [PASSWORD]\n" + USAGE);
                }
                String password = positional.size() == 3 ? positional.get(2) : askPassword(positional.get(1));
                webadmin(options, conf).addUser(positional.get(1), password);
                System.out.println("User " + positional.get(1) + " added.");
                return 0;
            default:
                throw new LaunchException("unknown command " + positional.get(0) + "\n" + USAGE);
        }
    }

    private static void expectArguments(List<String> positional, int count) throws LaunchException {
        if (positional.size() != count) {
            throw new LaunchException(positional.get(0) + " takes " + (count - 1) + " argument(s)\n" + USAGE);
        }
    }

    private static WebAdminClient webadmin(Map<String, String> options, Path conf) throws LaunchException {
        if (options.containsKey("--webadmin")) {
            return new WebAdminClient(URI.create(options.get("--webadmin")));
        }
        Path file = conf.resolve("webadmin.properties");
        String host = "127.0.0.1";
        int port = 8000;
        if (Files.isRegularFile(file)) {
            Properties properties = PropertiesFile.read(file);
            host = PropertiesFile.get(properties, "host", host);
            port = PropertiesFile.port(properties, file, "port", port);
        }
        return new WebAdminClient(URI.create("http://" + host + ":" + port));
    }

    private static String askPassword(String address) throws Exception {
        Console console = System.console();
        if (console != null) {
            char[] password = console.readPassword("Password for %s: ", address);
            if (password != null && password.length > 0) {
                return new String(password);
            }
            throw new LaunchException("no password given");
        }
        // Not a terminal: the password is the first line of standard input.
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (line == null || line.isEmpty()) {
            throw new LaunchException("no password given on standard input");
        }
        return line;
    }

    private static Path launcherHome() throws Exception {
        Path location = Path.of(DispatchLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isRegularFile(location)) {
            return location.getParent();
        }
        throw new LaunchException("cannot tell where the distribution is: give --home DIR");
    }
}
