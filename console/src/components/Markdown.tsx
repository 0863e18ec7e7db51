/**
 * Model output as Markdown, safely: react-markdown builds React elements (raw HTML in the text is
 * dropped, never parsed into the page), unsafe link protocols are dropped by its URL filter, links open
 * in a new tab without an opener, and images become links so the page loads nothing from other hosts.
 */
import ReactMarkdown, { type Components } from 'react-markdown';

const components: Components = {
  a: ({ href, children }) => (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  ),
  img: ({ src, alt }) => (
    <a href={typeof src === 'string' ? src : undefined} target="_blank" rel="noopener noreferrer nofollow">
      [image: {alt || 'untitled'}]
    </a>
  ),
};

export function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
}
