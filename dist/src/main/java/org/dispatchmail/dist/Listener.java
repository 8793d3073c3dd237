package org.dispatchmail.dist;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** One SMTP listener as configured in smtpserver.xml: what the launcher waits for and reports. */
final class Listener {
    final String name;
    final String host;
    final int port;
    final String tls;

    Listener(String name, String host, int port, String tls) {
        this.name = name;
        this.host = host;
        this.port = port;
        this.tls = tls;
    }

    /** The address to probe: a wildcard bind is reachable on loopback. */
    InetSocketAddress probeAddress() {
        boolean wildcard = host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
        return new InetSocketAddress(wildcard ? "127.0.0.1" : host, port);
    }

    boolean accepts() {
        try (Socket socket = new Socket()) {
            socket.connect(probeAddress(), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return String.format("%-28s %s:%d  %s", name, host, port, tls);
    }

    static List<Listener> fromSmtpServerXml(Path file) throws LaunchException {
        Document document;
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            document = factory.newDocumentBuilder().parse(file.toFile());
        } catch (Exception e) {
            throw new LaunchException(file + " cannot be parsed: " + e.getMessage());
        }
        List<Listener> listeners = new ArrayList<>();
        NodeList servers = document.getElementsByTagName("smtpserver");
        for (int i = 0; i < servers.getLength(); i++) {
            Element server = (Element) servers.item(i);
            if ("false".equalsIgnoreCase(server.getAttribute("enabled"))) {
                continue;
            }
            String name = text(server, "jmxName", "smtpserver-" + i);
            String tls = "no TLS";
            NodeList tlsNodes = server.getElementsByTagName("tls");
            if (tlsNodes.getLength() > 0) {
                Element tlsElement = (Element) tlsNodes.item(0);
                if ("true".equalsIgnoreCase(tlsElement.getAttribute("socketTLS"))) {
                    tls = "implicit TLS";
                } else if ("true".equalsIgnoreCase(tlsElement.getAttribute("startTLS"))) {
                    tls = "STARTTLS";
                }
            }
            for (String bind : text(server, "bind", "0.0.0.0:25").split(",")) {
                listeners.add(parseBind(file, name, bind.trim(), tls));
            }
        }
        return listeners;
    }

    private static Listener parseBind(Path file, String name, String bind, String tls) throws LaunchException {
        int colon = bind.lastIndexOf(':');
        try {
            return new Listener(name, bind.substring(0, colon), Integer.parseInt(bind.substring(colon + 1)), tls);
        } catch (RuntimeException e) {
            throw new LaunchException(file + ": <bind>" + bind + "</bind> of " + name + " is not address:port");
        }
    }

    private static String text(Element parent, String tag, String defaultValue) {
        NodeList nodes = parent.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? defaultValue : nodes.item(0).getTextContent().trim();
    }
}
