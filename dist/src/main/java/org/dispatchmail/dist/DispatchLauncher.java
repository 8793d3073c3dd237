package org.dispatchmail.dist;

import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/** Command line of the Dispatch distribution: run the server, and the admin commands beside it. */
public final class DispatchLauncher {
    private static final List<String> OPTIONS_WITH_VALUE = List.of("--conf", "--state", "--home", "--webadmin",
        "--token-file", "--algorithm", "--selector", "--senders", "--status", "--domain", "--sender", "--limit",
        "--subject", "--days", "--keep");
    private static final List<String> FLAGS = List.of("--force", "--help", "-h");

    /** The words of a command line: the command and its arguments, and the options by name. */
    static final class Arguments {
        final List<String> positional = new ArrayList<>();
        final Map<String, String> options = new HashMap<>();

        boolean help() {
            return options.containsKey("--help") || options.containsKey("-h")
                || !positional.isEmpty() && positional.get(0).equals("help");
        }

        /** The command words help is asked about: "help queue list" and "queue list --help" alike. */
        List<String> helpTopic() {
            return !positional.isEmpty() && positional.get(0).equals("help")
                ? positional.subList(1, positional.size()) : positional;
        }

        static Arguments parse(String[] args) throws LaunchException {
            Arguments parsed = new Arguments();
            for (int i = 0; i < args.length; i++) {
                String word = args[i];
                if (FLAGS.contains(word)) {
                    parsed.options.put(word, "true");
                } else if (OPTIONS_WITH_VALUE.contains(word)) {
                    // "--senders --help": the option's value is missing, not "--help"
                    if (i + 1 >= args.length || OPTIONS_WITH_VALUE.contains(args[i + 1]) || FLAGS.contains(args[i + 1])) {
                        throw new LaunchException("option " + word + " needs a value\n" + Usage.of(parsed.positional));
                    }
                    parsed.options.put(word, args[++i]);
                } else if (word.startsWith("-") && word.length() > 1) {
                    throw new LaunchException("unknown option " + word + "\n" + Usage.of(parsed.positional));
                } else {
                    parsed.positional.add(word);
                }
            }
            return parsed;
        }
    }

    private DispatchLauncher() {
    }

    public static void main(String[] args) {
        System.exit(exitCode(args, System.out, System.err));
    }

    /**
     * Runs a command line and returns its exit status: 0 when it did what it was asked (help
     * included), 2 for a usage error or a failure whose reason it printed, 3 for an unexpected error;
     * "run" returns what {@link RunCommand#run} does once James has stopped.
     */
    static int exitCode(String[] args, PrintStream out, PrintStream err) {
        try {
            Arguments arguments = Arguments.parse(args);
            if (arguments.help()) {
                out.println(Usage.of(arguments.helpTopic()));
                return 0;
            }
            if (arguments.positional.isEmpty()) {
                err.println("dispatch: which command?\n" + Usage.all());
                return 2;
            }
            return execute(arguments);
        } catch (LaunchException e) {
            err.println("dispatch: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("dispatch: unexpected error: " + e);
            return 3;
        }
    }

    static int execute(String[] args) throws Exception {
        return execute(Arguments.parse(args));
    }

    private static int execute(Arguments arguments) throws Exception {
        List<String> positional = arguments.positional;
        Map<String, String> options = arguments.options;
        if (positional.isEmpty()) {
            throw new LaunchException("which command?\n" + Usage.all());
        }
        Path conf = Path.of(options.getOrDefault("--conf", "conf"));
        Path state = Path.of(options.getOrDefault("--state", "state"));
        switch (positional.get(0)) {
            case "run":
                expectArguments(positional, 1);
                Path home = options.containsKey("--home") ? Path.of(options.get("--home")) : launcherHome();
                return new RunCommand(home, conf, state, System.out, Clock.systemUTC()).run();
            case "init":
                expectArguments(positional, 1);
                RunCommand.init(state, System.out, Clock.systemUTC());
                return 0;
            case "token": {
                expectArguments(positional, 1);
                int days = positiveNumber(options.getOrDefault("--days", "3650"), "--days");
                try {
                    System.out.println(WebAdminCredentials.in(state).newToken(options.getOrDefault("--subject",
                        WebAdminCredentials.ADMIN_SUBJECT), Clock.systemUTC().instant(), Duration.ofDays(days)));
                } catch (IllegalArgumentException e) {
                    throw new LaunchException(e.getMessage());
                }
                return 0;
            }
            case "add-domain":
                expectArguments(positional, 2);
                webadmin(options, conf).addDomain(positional.get(1));
                System.out.println("Domain " + positional.get(1) + " added.");
                return 0;
            case "add-user":
                if (positional.size() == 3) {
                    throw new LaunchException("add-user takes no password on the command line (ps and the shell"
                        + " history would show it): it asks for it, or reads the first line of standard input");
                }
                expectArguments(positional, 2);
                WebAdminClient client = webadmin(options, conf);
                client.addUser(positional.get(1), jsonString(askPassword(positional.get(1))));
                System.out.println("User " + positional.get(1) + " added.");
                return 0;
            case "dkim":
                return dkim(positional, options, webadmin(options, conf));
            case "submission":
                return submission(positional, options, webadmin(options, conf));
            case "queue":
                return queue(positional, options, webadmin(options, conf));
            case "srs":
                return srs(positional, options, webadmin(options, conf));
            case "tls":
                return tls(positional, webadmin(options, conf));
            default:
                throw new LaunchException("unknown command " + positional.get(0) + "\n" + Usage.all());
        }
    }

    private static int dkim(List<String> positional, Map<String, String> options, WebAdminClient webadmin)
        throws LaunchException {
        String action = positional.size() > 1 ? positional.get(1) : "";
        List<String> args = positional.subList(Math.min(2, positional.size()), positional.size());
        String keys = "/dispatch/dkim/keys";
        switch (action) {
            case "generate": {
                expectCount(args, 1, "dkim generate DOMAIN");
                StringBuilder query = new StringBuilder();
                if (options.containsKey("--algorithm")) {
                    query.append("algorithm=").append(WebAdminClient.encode(options.get("--algorithm")));
                }
                if (options.containsKey("--selector")) {
                    query.append(query.length() > 0 ? "&" : "").append("selector=")
                        .append(WebAdminClient.encode(options.get("--selector")));
                }
                String made = webadmin.call("POST", keys + "/" + WebAdminClient.encode(args.get(0))
                    + (query.length() > 0 ? "?" + query : ""), null, "make DKIM keys");
                System.out.println("Made (pending until DNS shows their TXT record):");
                System.out.println(AdminOutput.table(AdminOutput.parse(made)));
                System.out.println();
                System.out.println("Publish:");
                System.out.println(AdminOutput.zoneLines(AdminOutput.parse(made)));
                return 0;
            }
            case "list":
                if (args.size() > 1) {
                    throw new LaunchException("dkim list takes at most a DOMAIN\n" + Usage.of(positional));
                }
                System.out.println(AdminOutput.table(AdminOutput.parse(webadmin.call("GET",
                    keys + (args.isEmpty() ? "" : "?domain=" + WebAdminClient.encode(args.get(0))), null, "list DKIM keys"))));
                return 0;
            case "dns":
                expectCount(args, 1, "dkim dns DOMAIN");
                System.out.println(AdminOutput.zoneLines(AdminOutput.parse(webadmin.call("GET",
                    keys + "?domain=" + WebAdminClient.encode(args.get(0)), null, "list DKIM keys"))));
                return 0;
            case "check": {
                expectCount(args, 0, "dkim check");
                List<Map<String, String>> activated = AdminOutput.parse(webadmin.call("POST", "/dispatch/dkim/check",
                    null, "check DKIM keys"));
                System.out.println(activated.isEmpty() ? "No pending key is visible in DNS yet."
                    : "Activated:\n" + AdminOutput.table(activated));
                return 0;
            }
            case "rotate": {
                expectCount(args, 1, "dkim rotate DOMAIN");
                String made = webadmin.call("POST", keys + "/" + WebAdminClient.encode(args.get(0)) + "/rotate", null,
                    "rotate DKIM keys");
                List<Map<String, String>> successors = AdminOutput.parse(made);
                if (successors.isEmpty()) {
                    System.out.println("Every algorithm of " + args.get(0) + " already has a pending successor.");
                } else {
                    System.out.println("Successors (they replace the current keys once DNS shows them):");
                    System.out.println(AdminOutput.table(successors));
                    System.out.println();
                    System.out.println("Publish:");
                    System.out.println(AdminOutput.zoneLines(successors));
                }
                return 0;
            }
            case "retire":
                expectCount(args, 2, "dkim retire DOMAIN SELECTOR");
                System.out.println(AdminOutput.table(AdminOutput.parse(webadmin.call("POST", keys + "/"
                    + WebAdminClient.encode(args.get(0)) + "/" + WebAdminClient.encode(args.get(1)) + "/retire", null,
                    "retire a DKIM key"))));
                return 0;
            case "delete":
                expectCount(args, 2, "dkim delete DOMAIN SELECTOR");
                webadmin.call("DELETE", keys + "/" + WebAdminClient.encode(args.get(0)) + "/"
                    + WebAdminClient.encode(args.get(1)), null, "delete a DKIM key");
                System.out.println("Deleted " + args.get(1) + "._domainkey." + args.get(0) + ".");
                return 0;
            default:
                throw new LaunchException("dkim needs one of generate, list, dns, check, rotate, retire, delete\n"
                    + Usage.of(positional.subList(0, 1)));
        }
    }

    private static int srs(List<String> positional, Map<String, String> options, WebAdminClient webadmin)
        throws LaunchException {
        List<String> args = positional.subList(Math.min(2, positional.size()), positional.size());
        switch (positional.size() < 2 ? "" : positional.get(1)) {
            case "keys":
                expectCount(args, 0, "srs keys");
                System.out.println(AdminOutput.srsKeysTable(AdminOutput.parse(webadmin.call("GET", "/dispatch/srs/keys",
                    null, "list SRS keys"))));
                return 0;
            case "rotate":
                expectCount(args, 0, "srs rotate");
                System.out.println("New SRS key; retire the older ones with \"dispatch srs retire\" once srs.maxAge has"
                    + " passed.");
                System.out.println(AdminOutput.srsKeysTable(AdminOutput.parse(webadmin.call("POST", "/dispatch/srs/rotate",
                    null, "rotate the SRS key"))));
                return 0;
            case "retire": {
                expectCount(args, 0, "srs retire [--keep N] [--force]");
                String query = "?keep=" + WebAdminClient.encode(options.getOrDefault("--keep", "1"))
                    + (options.containsKey("--force") ? "&force=true" : "");
                System.out.println(AdminOutput.srsKeysTable(AdminOutput.parse(webadmin.call("POST",
                    "/dispatch/srs/retire" + query, null, "retire SRS keys"))));
                return 0;
            }
            default:
                throw new LaunchException("srs needs one of keys, rotate, retire\n"
                    + Usage.of(positional.subList(0, 1)));
        }
    }

    private static int submission(List<String> positional, Map<String, String> options, WebAdminClient webadmin)
        throws Exception {
        String action = positional.size() > 1 ? positional.get(1) : "";
        List<String> args = positional.subList(Math.min(2, positional.size()), positional.size());
        String users = "/dispatch/submission/users";
        switch (action) {
            case "add": {
                expectCount(args, 1, "submission add LOGIN [--senders a@example.com,@example.org]");
                String body = "{\"password\":" + jsonString(askPassword(args.get(0))) + ",\"allowedSenders\":"
                    + jsonList(options.getOrDefault("--senders", "")) + "}";
                System.out.println(AdminOutput.usersTable(AdminOutput.parse(webadmin.call("POST",
                    users + "/" + WebAdminClient.encode(args.get(0)), body, "add a submission login"))));
                return 0;
            }
            case "list":
                expectCount(args, 0, "submission list");
                System.out.println(AdminOutput.usersTable(AdminOutput.parse(webadmin.call("GET", users, null,
                    "list submission logins"))));
                return 0;
            case "password":
                expectCount(args, 1, "submission password LOGIN");
                webadmin.call("PUT", users + "/" + WebAdminClient.encode(args.get(0)) + "/password",
                    "{\"password\":" + jsonString(askPassword(args.get(0))) + "}", "set a password");
                System.out.println("Password of " + args.get(0) + " changed.");
                return 0;
            case "senders":
                expectCount(args, 2, "submission senders LOGIN a@example.com,@example.org");
                System.out.println(AdminOutput.usersTable(AdminOutput.parse(webadmin.call("PUT",
                    users + "/" + WebAdminClient.encode(args.get(0)) + "/senders",
                    "{\"allowedSenders\":" + jsonList(args.get(1)) + "}", "set allowed senders"))));
                return 0;
            case "remove":
                expectCount(args, 1, "submission remove LOGIN");
                webadmin.call("DELETE", users + "/" + WebAdminClient.encode(args.get(0)), null, "remove a login");
                System.out.println("Login " + args.get(0) + " removed.");
                return 0;
            default:
                throw new LaunchException("submission needs one of add, list, password, senders, remove\n"
                    + Usage.of(positional.subList(0, 1)));
        }
    }

    private static int queue(List<String> positional, Map<String, String> options, WebAdminClient webadmin)
        throws LaunchException {
        String action = positional.size() > 1 ? positional.get(1) : "";
        List<String> args = positional.subList(Math.min(2, positional.size()), positional.size());
        String base = "/dispatch/queue";
        switch (action) {
            case "summary":
                expectCount(args, 0, "queue summary");
                System.out.print(webadmin.call("GET", base + "/summary?format=text", null, "read the queue summary"));
                return 0;
            case "list": {
                expectCount(args, 0, "queue list [--status S] [--domain D] [--sender A] [--limit N]");
                StringBuilder query = new StringBuilder("?format=text");
                Map<String, String> filters = Map.of("--status", "state", "--domain", "domain", "--sender", "sender",
                    "--limit", "limit");
                filters.forEach((option, parameter) -> {
                    if (options.containsKey(option)) {
                        query.append('&').append(parameter).append('=').append(WebAdminClient.encode(options.get(option)));
                    }
                });
                System.out.print(webadmin.call("GET", base + query, null, "list the queue"));
                return 0;
            }
            case "show":
                expectCount(args, 1, "queue show ID");
                System.out.print(webadmin.call("GET", base + "/messages/" + WebAdminClient.encode(args.get(0))
                    + "?format=text", null, "show queued message " + args.get(0)));
                return 0;
            case "retry":
            case "hold":
            case "release":
            case "bounce":
            case "delete": {
                String usage = "queue " + action + " (ID | --domain D | all)";
                String method = action.equals("delete") ? "DELETE" : "POST";
                String actionQuery = action.equals("delete") ? "" : "&action=" + action;
                String path;
                if (options.containsKey("--domain")) {
                    expectCount(args, 0, usage);
                    path = base + "?format=text&domain=" + WebAdminClient.encode(options.get("--domain")) + actionQuery;
                } else {
                    expectCount(args, 1, usage);
                    path = args.get(0).equals("all") ? base + "?format=text&all=true" + actionQuery
                        : base + "/messages/" + WebAdminClient.encode(args.get(0)) + "?format=text" + actionQuery;
                }
                System.out.print(webadmin.call(method, path, null, action + " queued mail"));
                return 0;
            }
            default:
                throw new LaunchException("queue needs one of summary, list, show, retry, hold, release, bounce,"
                    + " delete\n" + Usage.of(positional.subList(0, 1)));
        }
    }

    private static int tls(List<String> positional, WebAdminClient webadmin) throws LaunchException {
        String action = positional.size() > 1 ? positional.get(1) : "";
        List<String> args = positional.subList(Math.min(2, positional.size()), positional.size());
        switch (action) {
            case "show":
                expectCount(args, 1, "tls show DOMAIN");
                // the server checks the name and says what is wrong with it (HTTP 400, exit 2)
                System.out.print(webadmin.call("GET", "/dispatch/tls/" + WebAdminClient.encode(args.get(0))
                    + "?format=text", null, "show the TLS policy of " + args.get(0)));
                return 0;
            default:
                throw new LaunchException("tls needs show\n" + Usage.of(positional.subList(0, 1)));
        }
    }

    private static String jsonString(String text) {
        StringBuilder json = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                json.append('\\').append(c);
            } else if (c < 0x20) {
                json.append(String.format("\\u%04x", (int) c));
            } else {
                json.append(c);
            }
        }
        return json.append('"').toString();
    }

    private static String jsonList(String commaSeparated) {
        List<String> items = new ArrayList<>();
        for (String item : commaSeparated.split(",")) {
            if (!item.trim().isEmpty()) {
                items.add(jsonString(item.trim()));
            }
        }
        return "[" + String.join(",", items) + "]";
    }

    private static void expectCount(List<String> args, int count, String usage) throws LaunchException {
        if (args.size() != count) {
            throw new LaunchException("usage: dispatch " + usage);
        }
    }

    private static void expectArguments(List<String> positional, int count) throws LaunchException {
        if (positional.size() != count) {
            throw new LaunchException(positional.get(0) + " takes " + (count - 1) + " argument(s)\n"
                + Usage.of(positional.subList(0, 1)));
        }
    }

    private static WebAdminClient webadmin(Map<String, String> options, Path conf) throws LaunchException {
        Path tokenFile = options.containsKey("--token-file") ? Path.of(options.get("--token-file"))
            : Path.of(options.getOrDefault("--state", "state")).resolve("admin-token");
        // the default token may be absent (webadmin without authentication); one named by --token-file may not
        Optional<String> token = options.containsKey("--token-file") || Files.exists(tokenFile)
            ? Optional.of(SecretFiles.read(tokenFile)) : Optional.empty();
        if (options.containsKey("--webadmin")) {
            return new WebAdminClient(URI.create(options.get("--webadmin")), token, tokenFile);
        }
        Path file = conf.resolve("webadmin.properties");
        String host = "127.0.0.1";
        int port = 8000;
        if (Files.isRegularFile(file)) {
            Properties properties = PropertiesFile.read(file);
            host = PropertiesFile.get(properties, "host", host);
            port = PropertiesFile.port(properties, file, "port", port);
        }
        return new WebAdminClient(URI.create("http://" + host + ":" + port), token, tokenFile);
    }

    private static int positiveNumber(String text, String option) throws LaunchException {
        try {
            int value = Integer.parseInt(text);
            if (value > 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new LaunchException(option + " '" + text + "' is not a positive whole number");
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
