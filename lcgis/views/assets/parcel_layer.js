// The script that draws the parcel payload (a Jinja template rendered by
// lcgis.views.maps.ParcelLayer). It never writes data as HTML: text goes in with
// textContent (tooltips, legend, zone names, the datum note).
// Three ways to draw, chosen in Python by the number of parcels (lcgis.views.maps):
// SVG polygons (D.p, small parks), the same on Leaflet's canvas renderer (D.p with D.cv),
// and, for large datasets, the parcels fetched as typed arrays from the app's static files
// (D.src) and drawn by this script on the canvases of an L.GridLayer, with a grid index for
// hover and click.
(function(map){
var D={{ this.payload }};
var S=1e6,o=D.o;
function ring(a){var x=o[0],y=o[1],r=[];for(var i=0;i<a.length;i+=2){x+=a[i];y+=a[i+1];
 r.push([y/S,x/S]);}return r;}
function shape(g){return g.map(function(p){return p.map(ring);});}
function el(t,c,txt){var e=document.createElement(t);if(c)e.className=c;
 if(txt!==undefined)e.textContent=txt;return e;}
function num(v,d,sh){if(v===null||v===undefined)return "—";if(sh)v=v*100;
 return v.toLocaleString("zh-CN",{minimumFractionDigits:d,maximumFractionDigits:d})+(sh?"%":"");}
var I=D.ind;
function tip(l){var r=l._r,box=el("div","lcgis-tip");
 box.appendChild(el("b",null,"宗地 "+r[0]));
 box.appendChild(el("div",null,(r[1]>=0?D.zn[r[1]]:"片区外")+" · "+num(r[7],1,false)+" 亩"));
 if(r[6])box.appendChild(el("div",null,"主要企业："+r[6]));
 if(I.label)box.appendChild(el("div",null,I.label+"："+num(r[3],I.d,I.share)+
  (I.unit&&I.unit!=="%"?" "+I.unit:"")));
 box.appendChild(el("div",null,"类别："+(r[4]||"—")));
 if(r[9]>=0)box.appendChild(el("div",null,"处置："+D.dl[r[9]]+(r[10]>=0?"("+D.tl[r[10]]+")":"")));
 return box;}
var base={className:"lcgis-parcel",color:"#4d4d4d",weight:0.7,opacity:0.9,fillOpacity:0.78};
var overlays={};
function ovName(ov){return "<span style='color:"+ov[1]+"'>■</span> "+ov[0]+"("+ov[2]+"宗)";}
if(D.p){
 var rend=D.cv?L.canvas({padding:0.3}):undefined;
 var parcels=L.featureGroup();
 D.p.forEach(function(r){
  var s=Object.assign({},base,{fillColor:r[2]>=0?D.pal[r[2]]:D.nd,renderer:rend});
  var poly=L.polygon(shape(r[8]),s);
  poly.feature={type:"Feature",properties:{parcel_id:r[0]}};poly._r=r;
  poly.on("mouseover",function(){poly.setStyle({weight:2.5,color:"#000"});});
  poly.on("mouseout",function(){poly.setStyle({weight:base.weight,color:base.color});});
  parcels.addLayer(poly);});
 parcels.bindTooltip(tip,{sticky:true,direction:"top",opacity:0.95});
 parcels.addTo(map);
 D.ov.forEach(function(ov,i){
  var g=L.featureGroup();
  D.p.forEach(function(r){if(r[5]>>i&1)g.addLayer(L.polygon(shape(r[8]),
   {fill:false,color:ov[1],weight:3,dashArray:"4 3",interactive:false,renderer:rend,
    className:"lcgis-overlay"}));});
  overlays[ovName(ov)]=g;});
 window.lcgisParcels={mode:D.cv?"canvas":"svg",ready:Promise.resolve(D.p.length)};
}
if(D.src){
 // --- large datasets: typed arrays, our own canvas tiles, a grid index ---------------------
 var P=null,A=null,C=null;  // geometry, attributes, colouring
 var dpr=window.devicePixelRatio||1;
 function merc(lon,lat){var s=Math.sin(lat*Math.PI/180);
  return [(lon+180)/360,0.5-Math.log((1+s)/(1-s))/(4*Math.PI)];}
 // the map files are gzip (lcgis.views.maps.pack), inflated here unless the server did
 function inflate(buf){var u=new Uint8Array(buf,0,Math.min(2,buf.byteLength));
  if(u[0]!==0x1f||u[1]!==0x8b)return buf;
  return new Response(new Blob([buf]).stream().pipeThrough(new DecompressionStream("gzip")))
   .arrayBuffer();}
 // the geometry file (lcgis.views.maps.geometry_file): counts of rings and vertices, the
 // vertices in Web Mercator units (2^32 a world) as steps: no projection here
 function load(buf){
  var h=new Int32Array(buf,0,4),n=h[0],nr=h[1],nv=h[2],m0=new Uint32Array(buf,16,2),at=24;
  var pn=new Int32Array(buf,at,n);at+=4*n;
  var rn=new Int32Array(buf,at,nr);at+=4*nr;
  var xy=new Int32Array(buf,at,2*nv);at+=8*nv;
  var fl=new Uint8Array(buf,at,n),K=4294967296,kx=m0[0],ky=m0[1],i,v;
  var pr=new Int32Array(n+1),rv=new Int32Array(nr+1);
  for(i=0;i<n;i++)pr[i+1]=pr[i]+pn[i];
  for(i=0;i<nr;i++)rv[i+1]=rv[i]+rn[i];
  var mx=new Float64Array(nv),my=new Float64Array(nv),bb=new Float64Array(4*n);
  for(v=0;v<nv;v++){kx+=xy[2*v];ky+=xy[2*v+1];mx[v]=kx/K;my[v]=ky/K;}
  var x0=Infinity,y0=Infinity,x1=-Infinity,y1=-Infinity,wide=0,shapes=0;
  for(i=0;i<n;i++){var a=rv[pr[i]],b=rv[pr[i+1]],u0=Infinity,w0=Infinity,u1=-Infinity,w1=-Infinity;
   for(v=a;v<b;v++){if(mx[v]<u0)u0=mx[v];if(mx[v]>u1)u1=mx[v];if(my[v]<w0)w0=my[v];if(my[v]>w1)w1=my[v];}
   bb[4*i]=u0;bb[4*i+1]=w0;bb[4*i+2]=u1;bb[4*i+3]=w1;
   if(a<b){if(u0<x0)x0=u0;if(w0<y0)y0=w0;if(u1>x1)x1=u1;if(w1>y1)y1=w1;wide+=u1-u0;shapes++;}}
  // the grid index: about four parcels a cell, each parcel in every cell its box touches
  var g=Math.max(1,Math.ceil(Math.sqrt(n/4))),cw=(x1-x0)/g||1e-9,ch=(y1-y0)/g||1e-9;
  function cx(x){return Math.min(g-1,Math.max(0,Math.floor((x-x0)/cw)));}
  function cy(y){return Math.min(g-1,Math.max(0,Math.floor((y-y0)/ch)));}
  var cnt=new Int32Array(g*g+1);
  function each(i,f){for(var q=cy(bb[4*i+1]);q<=cy(bb[4*i+3]);q++)
   for(var p=cx(bb[4*i]);p<=cx(bb[4*i+2]);p++)f(q*g+p);}
  for(i=0;i<n;i++)if(rv[pr[i]]<rv[pr[i+1]])each(i,function(c){cnt[c+1]++;});
  for(i=0;i<g*g;i++)cnt[i+1]+=cnt[i];
  var cell=new Int32Array(cnt[g*g]),fill=cnt.slice(0,g*g);
  for(i=0;i<n;i++)if(rv[pr[i]]<rv[pr[i+1]])each(i,function(c){cell[fill[c]++]=i;});
  return {n:n,pr:pr,rv:rv,mx:mx,my:my,bb:bb,fl:fl,g:g,x0:x0,y0:y0,cw:cw,ch:ch,cx:cx,cy:cy,
   cnt:cnt,cell:cell,seen:new Int32Array(n),stamp:0,pw:shapes?wide/shapes:0};}
 // parcels whose box meets [u0,u1]x[w0,w1] (mercator 0..1), each once
 function query(u0,w0,u1,w1,f){
  if(u1<P.x0||w1<P.y0||u0>P.x0+P.g*P.cw||w0>P.y0+P.g*P.ch)return;
  var st=++P.stamp,a=P.cx(u0),b=P.cx(u1),c=P.cy(w0),d=P.cy(w1),bb=P.bb;
  for(var q=c;q<=d;q++)for(var p=a;p<=b;p++){var k=q*P.g+p;
   for(var j=P.cnt[k];j<P.cnt[k+1];j++){var i=P.cell[j];if(P.seen[i]===st)continue;P.seen[i]=st;
    if(bb[4*i]<=u1&&bb[4*i+2]>=u0&&bb[4*i+1]<=w1&&bb[4*i+3]>=w0)f(i);}}}
 function trace(ctx,i,s,ox,oy){
  for(var r=P.pr[i];r<P.pr[i+1];r++){var a=P.rv[r],b=P.rv[r+1];if(b<=a)continue;
   ctx.moveTo((P.mx[a]-ox)*s,(P.my[a]-oy)*s);
   for(var v=a+1;v<b;v++)ctx.lineTo((P.mx[v]-ox)*s,(P.my[v]-oy)*s);ctx.closePath();}}
 // a colour as the 32-bit pixel of an ImageData (little-endian RGBA), at the fill's opacity
 function pixel(hex){var m=/^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);if(!m)return 0;
  return ((Math.round(255*base.fillOpacity)<<24)|(parseInt(m[3],16)<<16)|(parseInt(m[2],16)<<8)|
   parseInt(m[1],16))>>>0;}
 var dotColour=D.pal.concat([D.nd]).map(pixel);
 // parcels under 1.5 px: their boxes set as pixels (one pass, no path), under the outlines
 function paint(cv,dots,s,ox,oy){
  var W=cv.width,H=cv.height,k=s*dpr,bb=P.bb,ctx=cv.getContext("2d");
  var img=ctx.createImageData(W,H),px=new Uint32Array(img.data.buffer);
  for(var j=0;j<dots.length;j+=2){var i=dots[j],col=dotColour[dots[j+1]];
   var u0=Math.floor((bb[4*i]-ox)*k),w0=Math.floor((bb[4*i+1]-oy)*k);
   var u1=Math.max(u0+1,Math.ceil((bb[4*i+2]-ox)*k)),w1=Math.max(w0+1,Math.ceil((bb[4*i+3]-oy)*k));
   if(u0<0)u0=0;if(w0<0)w0=0;if(u1>W)u1=W;if(w1>H)w1=H;
   for(var y=w0;y<w1;y++)for(var x=u0;x<u1;x++)px[y*W+x]=col;}
  ctx.putImageData(img,0,0);}
 function drawTile(cv,c,ov){
  var sz=256,s=sz*Math.pow(2,c.z),ox=c.x*sz/s,oy=c.y*sz/s,pad=3/s,ctx=cv.getContext("2d");
  var groups=[],dots=[],bb=P.bb,pal=D.pal.length;
  var tiny=function(i){return (bb[4*i+2]-bb[4*i])*s<1.5&&(bb[4*i+3]-bb[4*i+1])*s<1.5;};
  query(ox-pad,oy-pad,ox+sz/s+pad,oy+sz/s+pad,function(i){
   if(ov!==undefined){if(P.fl[i]>>ov&1)(groups[0]=groups[0]||[]).push(i);return;}
   var k=C.k[i];k=k>=0&&k<pal?k:pal;
   if(tiny(i)&&dotColour[k])dots.push(i,k);else(groups[k]=groups[k]||[]).push(i);});
  if(dots.length)paint(cv,dots,s,ox,oy);
  ctx.setTransform(dpr,0,0,dpr,0,0);
  if(ov!==undefined){var list=groups[0]||[];if(!list.length)return;
   ctx.beginPath();list.forEach(function(i){trace(ctx,i,s,ox,oy);});
   ctx.strokeStyle=D.ov[ov][1];ctx.lineWidth=3;ctx.setLineDash([4,3]);ctx.stroke();return;}
  ctx.globalAlpha=base.fillOpacity;
  var edges=s*P.pw>6;  // outlines only when a parcel is some pixels wide
  groups.forEach(function(list,k){ctx.beginPath();
   list.forEach(function(i){trace(ctx,i,s,ox,oy);});
   ctx.fillStyle=k<pal?D.pal[k]:D.nd;ctx.fill("evenodd");
   if(edges){ctx.globalAlpha=base.opacity;ctx.strokeStyle=base.color;ctx.lineWidth=base.weight;
    ctx.stroke();ctx.globalAlpha=base.fillOpacity;}});}
 var Grid=L.GridLayer.extend({
  createTile:function(c,done){var cv=document.createElement("canvas"),z=this.getTileSize();
   cv.width=z.x*dpr;cv.height=z.y*dpr;cv.style.width=z.x+"px";cv.style.height=z.y+"px";
   var me=this;
   ready.then(function(){drawTile(cv,c,me.options.ov);done(null,cv);});return cv;}});
 function fetchAll(url,kind){return fetch(url).then(function(r){
  if(!r.ok)throw new Error(url);return r.arrayBuffer();}).then(inflate).then(function(b){
  return kind==="bin"?b:JSON.parse(new TextDecoder().decode(b));});}
 var times={start:performance.now()};  // when the files came and were read (benchmarks)
 var ready=Promise.all([fetchAll(D.src.geo,"bin"),fetchAll(D.src.col,"json")]).then(function(v){
  times.fetched=performance.now();P=load(v[0]);C=v[1];times.loaded=performance.now();return P.n;});
 // the attributes (tooltip, card) once the first view is drawn: their parsing would delay it
 function drawn(){return new Promise(function(r){if(!grid.isLoading())r();else grid.once("load",r);
  setTimeout(r,3000);});}
 var attrs=ready.then(drawn).then(function(){times.drawn=performance.now();
  return fetchAll(D.src.att,"json");}).then(function(a){A=a;return a;});
 var grid=new Grid({className:"lcgis-grid",pane:"overlayPane",updateWhenZooming:false,
  keepBuffer:3,maxZoom:22});
 grid.addTo(map);
 D.ov.forEach(function(ov,i){overlays[ovName(ov)]=new Grid({ov:i,pane:"overlayPane",
  updateWhenZooming:false,keepBuffer:3,maxZoom:22});});
 // hover and click: the parcel under the pointer from the grid index
 function at(ll){if(!P)return -1;var m=merc(ll.lng,ll.lat),hit=-1;
  query(m[0],m[1],m[0],m[1],function(i){if(hit>=0)return;var inside=false;
   for(var r=P.pr[i];r<P.pr[i+1];r++){var a=P.rv[r],b=P.rv[r+1];
    for(var v=a,w=b-1;v<b;w=v++){var yi=P.my[v],yj=P.my[w];
     if((yi>m[1])!==(yj>m[1])&&m[0]<(P.mx[w]-P.mx[v])*(m[1]-yi)/(yj-yi)+P.mx[v])inside=!inside;}}
   if(inside)hit=i;});return hit;}
 function row(i){return [A.id[i],A.z[i],C.k[i],C.v?C.v[i]:null,A.c[i],P.fl[i],A.nm[i],A.mu[i],
  null,A.d[i],A.t[i]];}
 var hover=null,tipL=L.tooltip({sticky:true,direction:"top",opacity:0.95}),shown=-1;
 function outline(i){var rings=[];for(var r=P.pr[i];r<P.pr[i+1];r++){var pts=[];
   for(var v=P.rv[r];v<P.rv[r+1];v++)pts.push(map.unproject([P.mx[v]*256,P.my[v]*256],0));
   rings.push(pts);}return rings;}
 map.on("mousemove",function(e){var i=at(e.latlng);
  if(i!==shown){shown=i;if(hover){map.removeLayer(hover);hover=null;}
   if(i>=0){hover=L.polygon(outline(i),{fill:false,color:"#000",weight:2.5,interactive:false,
    className:"lcgis-hover"}).addTo(map);}}
  if(i>=0&&A){tipL.setLatLng(e.latlng).setContent(tip({_r:row(i)}));if(!map.hasLayer(tipL))tipL.addTo(map);}
  else if(map.hasLayer(tipL))map.removeLayer(tipL);});
 map.on("mouseout",function(){if(map.hasLayer(tipL))map.removeLayer(tipL);
  if(hover){map.removeLayer(hover);hover=null;shown=-1;}});
 map.on("click",function(e){var i=at(e.latlng);if(i<0||!A)return;
  var f={type:"Feature",properties:{parcel_id:A.id[i]},geometry:null};
  grid.fire("click",{latlng:e.latlng,layer:{toGeoJSON:function(){return f;}}});});
 window.lcgisParcels={mode:"tiles",ready:ready,attributes:attrs,at:at,grid:grid,times:times};
}
var labels=[];
D.z.forEach(function(z){
 L.polygon(shape(z[1]),{fill:false,color:"#222",weight:2.2,dashArray:"8 5",
  interactive:false,className:"lcgis-zone"}).addTo(map);
 labels.push(L.tooltip({permanent:true,direction:"center",className:"lcgis-zone-label",
  interactive:false}).setLatLng(z[2]).setContent(el("span",null,z[0])).addTo(map));});
function relabel(){labels.forEach(function(t){t.update();});}
map.on("resize",relabel);
var css=document.querySelector('link[href$="leaflet.css"]');
if(css)css.addEventListener("load",relabel);
L.control.layers(null,overlays,{collapsed:false,position:"topright"}).addTo(map);
var lg=L.control({position:"bottomright"});
lg.onAdd=function(){var d=el("div","lcgis-legend");d.appendChild(el("b",null,D.lg.title));
 D.lg.rows.forEach(function(r){var row=el("div");var sw=el("span");sw.style.background=r[0];
  row.appendChild(sw);row.appendChild(document.createTextNode(r[1]+"  ("+r[2]+"宗)"));
  d.appendChild(row);});
 if(D.lg.note)d.appendChild(el("div",null,D.lg.note));return d;};
lg.addTo(map);
var nt=L.control({position:"bottomleft"});
nt.onAdd=function(){return el("div","lcgis-note",D.datum);};nt.addTo(map);
})({{ this._parent.get_name() }});
