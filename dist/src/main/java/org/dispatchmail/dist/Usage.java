package org.dispatchmail.dist;

import java.util.ArrayList;
import java.util.List;

/**
 * What the launcher prints for help: every command, or only those of one command or subcommand
 * ("dispatch queue --help", "dispatch queue list -h"), always followed by the common options.
 */
final class Usage {
    /** One line of the command list: the command, the subcommands it stands for, its synopsis and what it does. */
    private static final class Entry {
        final String command;
        final List<String> subcommands;
        final String synopsis;
        final List<String> description;

        Entry(String command, List<String> subcommands, String synopsis, String... description) {
            this.command = command;
            this.subcommands = subcommands;
            this.synopsis = synopsis;
            this.description = List.of(description);
        }
    }

    private static final List<Entry> ENTRIES = List.of(
        new Entry("run", List.of(), "run [--conf DIR] [--state DIR]",
            "start Cassandra (unless configured) and James with Dispatch"),
        new Entry("init", List.of(), "init [--state DIR]",
            "make the secrets run makes at first start (DKIM master key,",
            "TLS keystore, webadmin key pair, admin token) and exit"),
        new Entry("token", List.of(), "token [--subject NAME] [--days N]",
            "print a new webadmin token signed with the state's key",
            "(default: admin, 3650 days)"),
        new Entry("add-domain", List.of(), "add-domain DOMAIN", "add a local domain to the running server"),
        new Entry("add-user", List.of(), "add-user ADDRESS",
            "add a user; the password is asked for (no echo), or read",
            "from the first line of standard input"),
        new Entry("dkim", List.of("generate"), "dkim generate DOMAIN [--algorithm A] [--selector S]",
            "make DKIM keys (rsa-sha256, ed25519-sha256 or all; default:",
            "dkim.algorithms); they sign once their TXT record is in DNS"),
        new Entry("dkim", List.of("list"), "dkim list [DOMAIN]", "list DKIM keys and their state"),
        new Entry("dkim", List.of("dns"), "dkim dns DOMAIN", "print the TXT records to publish, as zone-file lines"),
        new Entry("dkim", List.of("check"), "dkim check", "check DNS now and activate the keys it shows"),
        new Entry("dkim", List.of("rotate"), "dkim rotate DOMAIN",
            "make successors; each replaces its predecessor once published"),
        new Entry("dkim", List.of("retire"), "dkim retire DOMAIN SELECTOR",
            "stop signing with a key (deleted after dkim.gracePeriod)"),
        new Entry("dkim", List.of("delete"), "dkim delete DOMAIN SELECTOR", "delete a key now"),
        new Entry("submission", List.of("add"), "submission add LOGIN [--senders LIST]",
            "add a submission login (AUTH PLAIN, LOGIN, SCRAM-SHA-256,",
            "CRAM-MD5 if offered); LIST: other addresses and @domains it may use"),
        new Entry("submission", List.of("list"), "submission list", "list submission logins"),
        new Entry("submission", List.of("password"), "submission password LOGIN",
            "set a new password (asked for, or the first line of stdin)"),
        new Entry("submission", List.of("senders"), "submission senders LOGIN LIST",
            "set the other addresses and @domains the login may use"),
        new Entry("submission", List.of("remove"), "submission remove LOGIN", "remove a login"),
        new Entry("srs", List.of("keys"), "srs keys", "list the SRS key's versions (the newest signs, all check)"),
        new Entry("srs", List.of("rotate"), "srs rotate", "a new SRS key signs from now on; the older ones still check"),
        new Entry("srs", List.of("retire"), "srs retire [--keep N] [--force]",
            "remove all but the N (default 1) newest SRS keys; refused until",
            "srs.maxAge has passed since the oldest kept one took over"),
        new Entry("queue", List.of("summary"), "queue summary",
            "unfinished recipients by domain, age and state (like qshape)"),
        new Entry("queue", List.of("list"), "queue list [--status S] [--domain D] [--sender A] [--limit N]",
            "list unfinished recipients, oldest first; S: pending,",
            "in_flight, deferred or held"),
        new Entry("queue", List.of("show"), "queue show ID", "one message: envelope, recipients, every attempt"),
        new Entry("queue", List.of("retry", "hold", "release", "bounce", "delete"),
            "queue retry|hold|release|bounce|delete (ID | --domain D | all)",
            "retry now, hold, release, bounce now (with a report to the",
            "sender), or delete (no report) one message, a domain, or all"),
        new Entry("tls", List.of("show"), "tls show DOMAIN",
            "the MTA-STS policy stored for DOMAIN, its last failed refresh,",
            "the route, and whether delivery enforces it now"),
        new Entry("help", List.of(), "help [COMMAND [SUBCOMMAND]]",
            "print this, or the usage of one command (also: -h, --help)"));

    private static final String OPTIONS = String.join("\n",
        "options:",
        "  --conf DIR       configuration folder (default: conf)",
        "  --state DIR      where Cassandra, James and the logs keep their data (default: state)",
        "  --home DIR       the built distribution (default: the folder of the launcher jar)",
        "  --webadmin URL   James's webadmin for the admin commands (default: from DIR/webadmin.properties)",
        "  --token-file F   the webadmin token the admin commands send (default: STATE/admin-token)",
        "  -h, --help       print the usage of the command given and exit",
        "",
        "environment: JAVA_OPTS  JVM options of James (default -Xms256m -Xmx1g)",
        "exit status: 0 done; 2 a usage error, or a failure whose reason is printed; 3 an unexpected error;",
        "             run: 0 once stopped by Ctrl-C or SIGTERM, else James's own status (1 when that is 0)");

    private static final int DESCRIPTION_COLUMN = 39;

    private Usage() {
    }

    /** Every command. */
    static String all() {
        return render(ENTRIES);
    }

    /** The commands the words name: a command and its subcommand, a whole command, or all when neither is known. */
    static String of(List<String> words) {
        List<Entry> command = new ArrayList<>();
        for (Entry entry : ENTRIES) {
            if (!words.isEmpty() && entry.command.equals(words.get(0))) {
                command.add(entry);
            }
        }
        if (command.isEmpty()) {
            return all();
        }
        List<Entry> subcommand = new ArrayList<>();
        for (Entry entry : command) {
            if (words.size() > 1 && entry.subcommands.contains(words.get(1))) {
                subcommand.add(entry);
            }
        }
        return render(subcommand.isEmpty() ? command : subcommand);
    }

    private static String render(List<Entry> entries) {
        StringBuilder text = new StringBuilder("usage: dispatch <command> [options]\n\n");
        String indent = " ".repeat(DESCRIPTION_COLUMN);
        for (Entry entry : entries) {
            String synopsis = "  " + entry.synopsis;
            if (synopsis.length() < DESCRIPTION_COLUMN - 1) {
                text.append(synopsis).append(" ".repeat(DESCRIPTION_COLUMN - synopsis.length()));
            } else {
                text.append(synopsis).append('\n').append(indent);
            }
            text.append(String.join("\n" + indent, entry.description)).append('\n');
        }
        return text.append('\n').append(OPTIONS).toString();
    }
}
