// What the chat page shows of media messages, without the page: sizes, lengths,
// file icons and which of TIM's image versions is which.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {clockText, fileIcon, humanSize, imageVersion} from '../../static/im/mediaui.js';

test('sizes as people read them, 1 KB being 1024 bytes', () => {
  assert.equal(humanSize(0), '0 B');
  assert.equal(humanSize(812), '812 B');
  assert.equal(humanSize(4300), '4.2 KB');
  assert.equal(humanSize(20 * 1024 * 1024), '20.0 MB');
  assert.equal(humanSize(3 * 1024 ** 3), '3.0 GB');
  assert.equal(humanSize(undefined), '0 B');
});

test('lengths: m:ss, and h:mm:ss past the hour', () => {
  assert.equal(clockText(2), '0:02');
  assert.equal(clockText(2.4), '0:02');
  assert.equal(clockText(760), '12:40');
  assert.equal(clockText(3723), '1:02:03');
  assert.equal(clockText(-5), '0:00');
});

test('a file card\'s icon comes from the extension, whatever its case', () => {
  assert.equal(fileIcon('报告.PDF').kind, 'pdf');
  assert.equal(fileIcon('a.tar.gz').kind, 'archive');
  assert.equal(fileIcon('sheet.xlsx').kind, 'spreadsheet');
  assert.equal(fileIcon('noext').kind, 'file');
  assert.equal(fileIcon('.bashrc').kind, 'file');
});

test('image versions by TIM\'s type: 0 original, 2 large, 1 thumbnail', () => {
  const payload = {
    imageInfoArray: [
      {type: 0, url: 'o'},
      {type: 2, url: 'l'},
      {type: 1, url: 't'},
    ],
  };
  assert.equal(imageVersion(payload, 1).url, 't');
  assert.equal(imageVersion(payload, 2).url, 'l');
  assert.equal(imageVersion({imageInfoArray: [{type: 0, url: 'o'}]}, 1).url, 'o');
  assert.equal(imageVersion({}, 1), null);
});
