#include "objectstore/S3Xml.hpp"

#include "core/Error.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>

namespace dagda::objectstore {

S3Xml::S3Xml(const std::string& text, const std::string& what)
    // XML_PARSE_NONET: never fetch a DTD; no XML_PARSE_NOENT, so entities stay unexpanded.
    : doc_(xmlReadMemory(text.data(), static_cast<int>(text.size()), "s3.xml", nullptr, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)) {
    if (!doc_ || !xmlDocGetRootElement(doc_)) {
        if (doc_) xmlFreeDoc(doc_);
        throw Error(ErrorKind::failed, what + ": the store's answer is not XML (" + std::to_string(text.size()) + " bytes)");
    }
}

S3Xml::~S3Xml() { xmlFreeDoc(doc_); }

S3Xml::Node S3Xml::root() const { return xmlDocGetRootElement(doc_); }

std::string S3Xml::name(Node node) { return node && node->name ? reinterpret_cast<const char*>(node->name) : ""; }

std::vector<S3Xml::Node> S3Xml::children(Node node, const std::string& child) {
    std::vector<Node> out;
    for (const xmlNode* c = node ? node->children : nullptr; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && name(c) == child) out.push_back(c);
    return out;
}

std::string S3Xml::text(Node node, const std::string& child) {
    for (const xmlNode* c = node ? node->children : nullptr; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && name(c) == child) {
            xmlChar* content = xmlNodeGetContent(c);
            std::string out = content ? reinterpret_cast<const char*>(content) : "";
            xmlFree(content);
            return out;
        }
    return "";
}

}  // namespace dagda::objectstore
