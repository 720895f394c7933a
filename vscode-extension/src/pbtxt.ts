// Which `.pbtxt` files are Caffe's. Plain module: no `vscode` import.
//
// Two mechanisms, both keyed on the file's header (its leading comment lines):
//  * `firstLine` in package.json (FIRST_LINE below): VS Code itself gives the
//    `prototxt` language to a file whose first line is a comment naming Caffe
//    (`# proto-file: caffe/proto/caffe.proto`, `# proto-message:
//    caffe.NetParameter`, `# Caffe net ...`) or a `# prototxt-ls:` directive,
//    when no other extension claims the file's extension. VS Code ranks
//    `firstLine` below extension associations, so it loses when another
//    extension registers `.pbtxt` (a protobuf text-format extension);
//  * the content check (headerNamesCaffe): once this extension is active, a
//    `.pbtxt` document that is not `prototxt` yet but whose header (any of its
//    leading comment lines, not only the first) names Caffe is switched to
//    `prototxt` with `languages.setTextDocumentLanguage`.

/** Kept equal to `contributes.languages[0].firstLine` in package.json (a test checks it). */
export const FIRST_LINE = "^\\s*#(?:.*\\b(?:[Cc]affe|CAFFE)\\b|\\s*prototxt-ls:)";

const HEADER_LINE = new RegExp(FIRST_LINE);

/** Extensions the content check looks at (`.prototxt` is always ours). */
export const CLAIMED_EXTENSIONS = [".pbtxt"];

/** Does the header (leading blank and `#` lines, at most `maxLines`) name Caffe? */
export function headerNamesCaffe(text: string, maxLines = 50): boolean {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/, maxLines);
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === "") {
      continue;
    }
    if (!trimmed.startsWith("#")) {
      return false;
    }
    if (HEADER_LINE.test(trimmed)) {
      return true;
    }
  }
  return false;
}

/** Should a document (by file name and current language) become `prototxt`? */
export function shouldClaim(fileName: string, languageId: string, text: string): boolean {
  if (languageId === "prototxt") {
    return false;
  }
  const lower = fileName.toLowerCase();
  if (!CLAIMED_EXTENSIONS.some((ext) => lower.endsWith(ext))) {
    return false;
  }
  return headerNamesCaffe(text);
}
